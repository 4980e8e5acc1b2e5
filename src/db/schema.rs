//! The one schema both backends share. Written by hand: the SQL in `migrations/sqlite` and
//! `migrations/postgres` must produce exactly these columns.

diesel::table! {
    artists (id) {
        id -> BigInt,
        username -> Text,
        display_name -> Text,
        summary -> Text,
        manually_approves_followers -> Bool,
        discoverable -> Bool,
        links -> Text,
        avatar_url -> Nullable<Text>,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
        avatar_file -> Nullable<Text>,
        header_file -> Nullable<Text>,
    }
}

diesel::table! {
    instance_keys (id) {
        id -> BigInt,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

// The admin's description of the instance (issue 7, one row).
diesel::table! {
    instance_settings (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        description_html -> Text,
        rules -> Text,
        contact_email -> Text,
        contact_account -> Text,
        registrations -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        artist_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    remote_actors (id) {
        id -> BigInt,
        ap_id -> Text,
        username -> Text,
        domain -> Text,
        display_name -> Nullable<Text>,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        url -> Nullable<Text>,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        artist_id -> BigInt,
        remote_actor_id -> BigInt,
        follow_ap_id -> Text,
        accepted -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    posts (id) {
        id -> BigInt,
        artist_id -> BigInt,
        content_source -> Text,
        content_html -> Text,
        visibility -> Text,
        published_at -> Timestamp,
        updated_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        in_reply_to -> Nullable<Text>,
        mentions -> Text,
    }
}

diesel::table! {
    leaderboard_optouts (artist_id, handle) {
        artist_id -> BigInt,
        handle -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox_activities (id) {
        id -> BigInt,
        ap_id -> Text,
        /// None for the instance actor's own activities (a `Flag`).
        artist_id -> Nullable<BigInt>,
        kind -> Text,
        object_ap_id -> Text,
        payload -> Text,
        listed -> Bool,
        published_at -> Timestamp,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        actor_ap_id -> Text,
        kind -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox -> Text,
        host -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    hosts (host) {
        host -> Text,
        failure_days -> Integer,
        last_failure_day -> Nullable<Text>,
        last_error -> Nullable<Text>,
        unavailable_since -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    media (id) {
        id -> Text,
        artist_id -> BigInt,
        kind -> Text,
        content_type -> Text,
        file_name -> Text,
        size_bytes -> BigInt,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        duration_ms -> Nullable<BigInt>,
        blurhash -> Nullable<Text>,
        thumbnail_file -> Nullable<Text>,
        alt_text -> Text,
        focal_x -> Nullable<Double>,
        focal_y -> Nullable<Double>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    releases (id) {
        id -> BigInt,
        artist_id -> BigInt,
        title -> Text,
        kind -> Text,
        release_date -> Nullable<Date>,
        description_source -> Text,
        description_html -> Text,
        cover_media_id -> Nullable<Text>,
        links -> Text,
        hashtags -> Text,
        license -> Text,
        credits -> Text,
        state -> Text,
        publish_at -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    tracks (id) {
        id -> BigInt,
        release_id -> BigInt,
        position -> Integer,
        title -> Text,
        duration_secs -> Nullable<Integer>,
        preview_media_id -> Nullable<Text>,
    }
}

diesel::table! {
    interactions (id) {
        id -> BigInt,
        kind -> Text,
        artist_id -> BigInt,
        object_kind -> Text,
        object_id -> BigInt,
        remote_actor_id -> BigInt,
        activity_ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    replies (id) {
        id -> BigInt,
        ap_id -> Text,
        artist_id -> BigInt,
        object_kind -> Text,
        object_id -> BigInt,
        in_reply_to -> Text,
        remote_actor_id -> BigInt,
        url -> Nullable<Text>,
        content_html -> Text,
        published_at -> Timestamp,
        updated_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        hidden -> Bool,
    }
}

diesel::table! {
    pass_links (code) {
        code -> Text,
        handle -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pass_visits (id) {
        id -> BigInt,
        code -> Text,
        artist_id -> BigInt,
        object_kind -> Text,
        object_id -> BigInt,
        visitor_hash -> Text,
        day -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    visit_salts (day) {
        day -> Text,
        salt -> Text,
    }
}

diesel::table! {
    shows (id) {
        id -> BigInt,
        artist_id -> BigInt,
        starts_at -> Timestamp,
        ends_at -> Nullable<Timestamp>,
        doors_at -> Nullable<Timestamp>,
        timezone -> Text,
        venue_name -> Text,
        street_address -> Text,
        postal_code -> Text,
        city -> Text,
        region -> Text,
        country -> Text,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        ticket_url -> Nullable<Text>,
        price_note -> Text,
        support_acts -> Text,
        poster_media_id -> Nullable<Text>,
        status -> Text,
        description_source -> Text,
        description_html -> Text,
        published_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        pinned_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    alert_requests (id) {
        id -> BigInt,
        artist_id -> BigInt,
        remote_actor_id -> BigInt,
        place -> Text,
        latitude -> Double,
        longitude -> Double,
        radius_km -> Double,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alert_subscriptions (id) {
        id -> BigInt,
        artist_id -> BigInt,
        remote_actor_id -> BigInt,
        place -> Text,
        latitude -> Double,
        longitude -> Double,
        radius_km -> Double,
        created_at -> Timestamp,
    }
}

diesel::table! {
    alerts_sent (show_id, remote_actor_id, change_key) {
        show_id -> BigInt,
        remote_actor_id -> BigInt,
        change_key -> Text,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    domain_blocks (id) {
        id -> BigInt,
        domain -> Text,
        severity -> Text,
        reject_media -> Bool,
        reject_reports -> Bool,
        private_comment -> Nullable<Text>,
        public_comment -> Nullable<Text>,
        obfuscate -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    domain_allows (id) {
        id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    admin_tokens (id) {
        id -> BigInt,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        detail -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    actor_blocks (id) {
        id -> BigInt,
        actor_ap_id -> Text,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        direction -> Text,
        ap_id -> Text,
        origin -> Text,
        target_actor -> Nullable<Text>,
        object_ids -> Text,
        comment -> Text,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(alert_subscriptions -> remote_actors (remote_actor_id));
diesel::joinable!(alert_requests -> remote_actors (remote_actor_id));
diesel::joinable!(shows -> artists (artist_id));
diesel::joinable!(pass_visits -> pass_links (code));
diesel::joinable!(interactions -> remote_actors (remote_actor_id));
diesel::joinable!(replies -> remote_actors (remote_actor_id));
diesel::joinable!(media -> artists (artist_id));
diesel::joinable!(releases -> artists (artist_id));
diesel::joinable!(tracks -> releases (release_id));
diesel::joinable!(deliveries -> outbox_activities (activity_id));
diesel::joinable!(api_tokens -> artists (artist_id));
diesel::joinable!(follows -> artists (artist_id));
diesel::joinable!(follows -> remote_actors (remote_actor_id));
diesel::joinable!(posts -> artists (artist_id));
diesel::joinable!(outbox_activities -> artists (artist_id));

diesel::allow_tables_to_appear_in_same_query!(
    artists,
    instance_keys,
    api_tokens,
    remote_actors,
    follows,
    posts,
    outbox_activities,
    received_activities,
    deliveries,
    hosts,
    media,
    releases,
    tracks,
    interactions,
    replies,
    pass_links,
    pass_visits,
    visit_salts,
    leaderboard_optouts,
    shows,
    alert_subscriptions,
    alert_requests,
    alerts_sent,
    domain_blocks,
    domain_allows,
    admin_tokens,
    audit_log,
    actor_blocks,
    reports,
);

// Accounts of the web interface (issue 7).
diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        created_at -> Timestamp,
        suspended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    artist_members (user_id, artist_id) {
        user_id -> BigInt,
        artist_id -> BigInt,
        role -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    invites (id) {
        id -> BigInt,
        token_hash -> Text,
        is_admin -> Bool,
        artist_id -> Nullable<BigInt>,
        role -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(artist_members -> users (user_id));
diesel::joinable!(artist_members -> artists (artist_id));
diesel::joinable!(sessions -> users (user_id));

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        key_hash -> Text,
        failed_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(users, artist_members, artists, sessions, invites);
