//! Storing outgoing activities together with their deliveries, inside the transaction of the
//! change that caused them, so a crash can lose neither the change's announcement nor a single
//! recipient.

/// Who receives an outgoing activity.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audience {
    /// Every accepted follower of the artist: one delivery per shared inbox (or personal inbox
    /// where a server has none).
    pub followers: bool,
    /// More inboxes, each with its host (an `Accept` to a follower, a mentioned fan).
    pub inboxes: Vec<(String, String)>,
}

impl Audience {
    pub fn followers() -> Audience {
        Audience {
            followers: true,
            inboxes: Vec::new(),
        }
    }

    pub fn inbox(inbox: String, host: String) -> Audience {
        Audience {
            followers: false,
            inboxes: vec![(inbox, host)],
        }
    }

    /// Adds an inbox; one that followers already share gets a single delivery.
    pub fn and_inbox(mut self, inbox: String, host: String) -> Audience {
        if !self.inboxes.iter().any(|(i, _)| *i == inbox) {
            self.inboxes.push((inbox, host));
        }
        self
    }
}

/// An activity built by the federation layer, ready to be stored and delivered.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub ap_id: String,
    pub kind: &'static str,
    /// The id of the object the activity is about, to find it again (e.g. to unlist).
    pub object_ap_id: String,
    /// The exact JSON that is signed and sent.
    pub payload: String,
    /// Whether the outbox collection lists it.
    pub listed: bool,
    pub audience: Audience,
}

diesel::define_sql_function! {
    /// SQL `COALESCE` of a nullable and a non-null text.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Text>, y: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Stores `$outgoing` (an [`Outgoing`]) of artist `$artist_id` (an `i64`, or `None::<i64>` for
/// the instance actor, which has no followers) and one pending delivery per recipient inbox, on connection `$conn`. Evaluates to `Result<usize, diesel::result::Error>`
/// (the number of deliveries queued). A macro because its body must compile for both backends
/// inside the caller's transaction.
#[macro_export]
macro_rules! store_outgoing {
    ($conn:expr, $artist_id:expr, $outgoing:expr) => {{
        use diesel::prelude::*;
        use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
        use diesel::IntoSql;
        use diesel_async::RunQueryDsl;
        use $crate::db::outbox::coalesce;
        use $crate::db::schema::{deliveries, follows, outbox_activities, remote_actors};
        let outgoing: &$crate::db::outbox::Outgoing = $outgoing;
        let artist_id: Option<i64> = $artist_id.into();
        let now = $crate::db::now();
        async {
            let activity_id: i64 = diesel::insert_into(outbox_activities::table)
                .values((
                    outbox_activities::artist_id.eq(artist_id),
                    outbox_activities::ap_id.eq(&outgoing.ap_id),
                    outbox_activities::kind.eq(outgoing.kind),
                    outbox_activities::object_ap_id.eq(&outgoing.object_ap_id),
                    outbox_activities::payload.eq(&outgoing.payload),
                    outbox_activities::listed.eq(outgoing.listed),
                    outbox_activities::published_at.eq(now),
                ))
                .returning(outbox_activities::id)
                .get_result($conn)
                .await?;
            let columns = (
                deliveries::activity_id,
                deliveries::inbox,
                deliveries::host,
                deliveries::state,
                deliveries::attempts,
                deliveries::next_attempt_at,
                deliveries::created_at,
            );
            let mut queued = 0;
            if let (true, Some(artist_id)) = (outgoing.audience.followers, artist_id) {
                let recipients = follows::table
                    .inner_join(
                        remote_actors::table.on(remote_actors::id.eq(follows::remote_actor_id)),
                    )
                    .filter(follows::artist_id.eq(artist_id))
                    .filter(follows::accepted.eq(true))
                    .select((
                        activity_id.into_sql::<BigInt>(),
                        coalesce(remote_actors::shared_inbox, remote_actors::inbox),
                        remote_actors::domain,
                        "pending".into_sql::<Text>(),
                        0.into_sql::<Integer>(),
                        now.into_sql::<Timestamp>(),
                        now.into_sql::<Timestamp>(),
                    ))
                    .distinct();
                queued += diesel::insert_into(deliveries::table)
                    .values(recipients)
                    .into_columns(columns)
                    .execute($conn)
                    .await?;
            }
            for (inbox, host) in &outgoing.audience.inboxes {
                // A follower's shared inbox may already be queued: one delivery each.
                queued += diesel::insert_into(deliveries::table)
                    .values((
                        deliveries::activity_id.eq(activity_id),
                        deliveries::inbox.eq(inbox),
                        deliveries::host.eq(host),
                        deliveries::state.eq("pending"),
                        deliveries::attempts.eq(0),
                        deliveries::next_attempt_at.eq(now),
                        deliveries::created_at.eq(now),
                    ))
                    .on_conflict_do_nothing()
                    .execute($conn)
                    .await?;
            }
            Ok::<usize, diesel::result::Error>(queued)
        }
        .await
    }};
}
