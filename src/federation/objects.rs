//! Builds the ActivityStreams documents of local objects from stored rows.

use chrono::{DateTime, Utc};
use url::Url;

use super::protocol::{
    actor::{Endpoints, Image, LocalActor, PropertyValue, PublicKey},
    note::{Note, Tombstone},
    PUBLIC,
};
use crate::{
    db::{
        artists::Artist,
        media::MediaRow,
        posts::PostRow,
        releases::{ReleaseRow, TrackRow},
        shows::ShowRow,
    },
    domain::{
        posts::Visibility,
        releases::{self, LinkKind, MediaSet, ReleaseKind},
        shows::{self, ShowStatus},
    },
    urls::Urls,
};

/// The artist's `Person` document.
pub fn artist_actor(artist: &Artist, urls: &Urls) -> LocalActor {
    let id = urls.actor(&artist.username);
    let links = crate::domain::artists::profile_links(artist);
    LocalActor {
        kind: "Person",
        preferred_username: artist.username.clone(),
        name: artist.display_name.clone(),
        summary: artist.summary.clone(),
        url: urls.profile(&artist.username),
        inbox: urls.inbox(&artist.username),
        outbox: urls.outbox(&artist.username),
        followers: Some(urls.followers(&artist.username)),
        following: Some(urls.following(&artist.username)),
        featured: Some(urls.featured(&artist.username)),
        upcoming_events: Some(urls.upcoming_events(&artist.username)),
        endpoints: Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        },
        public_key: PublicKey {
            id: urls.key_id(&artist.username),
            owner: id.clone(),
            public_key_pem: artist.public_key_pem.clone(),
        },
        icon: match &artist.avatar_file {
            Some(file) => Some(uploaded_image(urls, file)),
            None => artist
                .avatar_url
                .as_deref()
                .and_then(|u| Url::parse(u).ok())
                .map(|url| Image {
                    kind: "Image",
                    url,
                    media_type: None,
                }),
        },
        image: artist
            .header_file
            .as_deref()
            .map(|file| uploaded_image(urls, file)),
        attachment: links
            .into_iter()
            .map(|l| PropertyValue {
                kind: "PropertyValue",
                value: format!(
                    r#"<a href="{0}" rel="me nofollow noopener noreferrer" target="_blank">{0}</a>"#,
                    html_escape(&l.url)
                ),
                name: l.name,
            })
            .collect(),
        manually_approves_followers: artist.manually_approves_followers,
        discoverable: artist.discoverable,
        indexable: artist.discoverable,
        published: artist.created_at.and_utc(),
        attribution_domains: urls.base().host_str().map(|h| vec![h.to_owned()]).unwrap_or_default(),
        id,
    }
}

/// An `Image` of one of Roadie's stored files, with the type it is served with.
fn uploaded_image(urls: &Urls, file: &str) -> Image {
    Image {
        kind: "Image",
        url: urls.media(file),
        media_type: crate::media::content_type_of_name(file).map(str::to_owned),
    }
}

/// The instance actor's `Application` document.
pub fn instance_actor(urls: &Urls, domain: &str, public_key_pem: &str) -> LocalActor {
    let id = urls.instance_actor();
    LocalActor {
        kind: "Application",
        preferred_username: domain.to_owned(),
        name: domain.to_owned(),
        summary: String::new(),
        url: urls.base(),
        inbox: urls.shared_inbox(),
        outbox: urls.instance_outbox(),
        followers: None,
        following: None,
        featured: None,
        upcoming_events: None,
        endpoints: Endpoints {
            shared_inbox: Some(urls.shared_inbox()),
        },
        public_key: PublicKey {
            id: urls.instance_key_id(),
            owner: id.clone(),
            public_key_pem: public_key_pem.to_owned(),
        },
        icon: None,
        image: None,
        attachment: Vec::new(),
        manually_approves_followers: true,
        discoverable: false,
        indexable: false,
        published: DateTime::<Utc>::UNIX_EPOCH,
        attribution_domains: Vec::new(),
        id,
    }
}

/// `(to, cc)` for a post of the given visibility, in Mastodon's convention.
pub fn addressing(visibility: Visibility, followers: &Url) -> (Vec<String>, Vec<String>) {
    let followers = followers.to_string();
    match visibility {
        Visibility::Public => (vec![PUBLIC.to_owned()], vec![followers]),
        Visibility::Unlisted => (vec![followers], vec![PUBLIC.to_owned()]),
        Visibility::Followers => (vec![followers], Vec::new()),
        Visibility::Direct => (Vec::new(), Vec::new()),
    }
}

/// The `Note` of a post. Mentioned actors are addressed (`to` for a direct message, `cc`
/// otherwise) and tagged, so their servers notify them.
pub fn post_note(artist: &Artist, post: &PostRow, urls: &Urls) -> Note {
    let visibility = Visibility::parse(&post.visibility).unwrap_or(Visibility::Followers);
    let (mut to, mut cc) = addressing(visibility, &urls.followers(&artist.username));
    let mentions = crate::domain::posts::mentions(post);
    for m in &mentions {
        if visibility == Visibility::Direct {
            to.push(m.href.clone());
        } else {
            cc.push(m.href.clone());
        }
    }
    let id = urls.post(&artist.username, post.id);
    Note {
        kind: "Note",
        url: id.clone(),
        id,
        attributed_to: urls.actor(&artist.username),
        to,
        cc,
        content: post.content_html.clone(),
        media_type: "text/html",
        published: post.published_at.and_utc(),
        updated: post.updated_at.map(|u| u.and_utc()),
        sensitive: false,
        attachment: Vec::new(),
        tag: mentions
            .iter()
            .map(|m| serde_json::json!({"type": "Mention", "href": m.href, "name": m.name}))
            .collect(),
        in_reply_to: post.in_reply_to.clone(),
    }
}

/// What a deleted post becomes.
pub fn post_tombstone(artist: &Artist, post: &PostRow, urls: &Urls) -> Tombstone {
    Tombstone {
        kind: "Tombstone",
        id: urls.post(&artist.username, post.id),
        former_type: "Note",
        deleted: post.deleted_at.unwrap_or(post.published_at).and_utc(),
    }
}

/// The `Note` that carries a release to Mastodon-family servers: title, kind, date, description,
/// tracklist and links as HTML; up to four attachments (audio previews with the cover as their
/// `icon`, then the cover itself where there is room), payment links after them (FEP-0ea0), and
/// hashtags as `Hashtag` tags.
pub fn release_note(
    artist: &Artist,
    release: &ReleaseRow,
    tracks: &[TrackRow],
    media: &MediaSet,
    urls: &Urls,
) -> Note {
    let id = urls.release(&artist.username, release.id);
    let (to, cc) = addressing(Visibility::Public, &urls.followers(&artist.username));
    let kind = ReleaseKind::parse(&release.kind).unwrap_or(ReleaseKind::Other);
    let tags = releases::hashtags(release);
    let links = releases::links(release);

    let mut html = format!(
        "<p><strong>{}</strong><br>{}",
        html_escape(&release.title),
        kind.label()
    );
    if let Some(date) = release.release_date {
        html.push_str(&format!(" · out {}", date.format("%-d %B %Y")));
    }
    html.push_str("</p>");
    html.push_str(&release.description_html);
    if !tracks.is_empty() {
        html.push_str("<ol>");
        for t in tracks {
            html.push_str(&format!("<li>{}", html_escape(&t.title)));
            if let Some(d) = t.duration_secs {
                html.push_str(&format!(" ({}:{:02})", d / 60, d % 60));
            }
            html.push_str("</li>");
        }
        html.push_str("</ol>");
    }
    if !links.is_empty() {
        let rendered: Vec<String> = links
            .iter()
            .map(|l| {
                let verb = match l.kind {
                    LinkKind::Buy => "Buy",
                    LinkKind::Stream => "Stream",
                    LinkKind::Download => "Download",
                };
                format!(
                    r#"<a href="{}" rel="nofollow noopener noreferrer" target="_blank">{verb} on {}</a>"#,
                    html_escape(&l.url),
                    html_escape(&l.label)
                )
            })
            .collect();
        html.push_str(&format!("<p>{}</p>", rendered.join("<br>")));
    }
    if !tags.is_empty() {
        let rendered: Vec<String> = tags
            .iter()
            .map(|t| {
                format!(
                    r#"<a href="{}" class="mention hashtag" rel="tag">#<span>{}</span></a>"#,
                    urls.tag(t),
                    html_escape(t)
                )
            })
            .collect();
        html.push_str(&format!("<p>{}</p>", rendered.join(" ")));
    }

    let cover = release.cover_media_id.as_ref().and_then(|id| media.get(id));
    let cover_icon = cover.map(|c| {
        serde_json::json!({"type": "Image", "mediaType": c.content_type, "url": urls.media(&c.file_name)})
    });
    let mut attachment: Vec<serde_json::Value> = tracks
        .iter()
        .filter_map(|t| Some((t, media.get(t.preview_media_id.as_ref()?)?)))
        .take(MAX_ATTACHMENTS)
        .map(|(t, m)| {
            let mut doc = serde_json::json!({
                "type": "Document",
                "mediaType": m.content_type,
                "url": urls.media(&m.file_name),
                "name": format!("{} – {}", t.title, artist.display_name),
            });
            if let Some(ms) = m.duration_ms {
                doc["duration"] = serde_json::Value::String(format!("PT{}S", (ms + 500) / 1000));
            }
            if let Some(icon) = &cover_icon {
                doc["icon"] = icon.clone();
            }
            doc
        })
        .collect();
    if let Some(c) = cover {
        if attachment.len() < MAX_ATTACHMENTS {
            let alt = if c.alt_text.is_empty() {
                format!("Cover of {} by {}", release.title, artist.display_name)
            } else {
                c.alt_text.clone()
            };
            let mut doc = serde_json::json!({
                "type": "Document",
                "mediaType": c.content_type,
                "url": urls.media(&c.file_name),
                "name": alt,
            });
            if let Some(b) = &c.blurhash {
                doc["blurhash"] = serde_json::Value::String(b.clone());
            }
            if let (Some(w), Some(h)) = (c.width, c.height) {
                doc["width"] = w.into();
                doc["height"] = h.into();
            }
            if let (Some(x), Some(y)) = (c.focal_x, c.focal_y) {
                doc["focalPoint"] = serde_json::json!([x, y]);
            }
            attachment.push(doc);
        }
    }
    // After the media, which Mastodon reads first and at most four of.
    for l in links.iter().filter(|l| l.payment) {
        attachment.push(serde_json::json!({
            "type": "Link", "rel": "payment", "mediaType": "text/html", "href": l.url, "name": l.label,
        }));
    }

    let published = release.published_at.unwrap_or(release.created_at);
    Note {
        kind: "Note",
        url: id.clone(),
        id,
        attributed_to: urls.actor(&artist.username),
        to,
        cc,
        content: html,
        media_type: "text/html",
        published: published.and_utc(),
        updated: (release.updated_at > published).then(|| release.updated_at.and_utc()),
        sensitive: false,
        in_reply_to: None,
        attachment,
        tag: tags
            .iter()
            .map(|t| serde_json::json!({"type": "Hashtag", "href": urls.tag(t), "name": format!("#{t}")}))
            .collect(),
    }
}

/// The `Event` of a show (FEP-8a8e, shaped for Mobilizon and Gancio too). Mastodon shows only
/// `name`, `summary` and a link, so `summary` alone says when (local time), where, and how to get
/// tickets — after what changed, when something did; GoToSocial shows `content`.
pub fn show_event(
    artist: &Artist,
    show: &ShowRow,
    poster: Option<&MediaRow>,
    what_changed: &str,
    urls: &Urls,
) -> serde_json::Value {
    let id = urls.show(&artist.username, show.id);
    let (to, cc) = addressing(Visibility::Public, &urls.followers(&artist.username));
    let tz = shows::tz(show);
    let start = show.starts_at.and_utc().with_timezone(&tz);
    let status = ShowStatus::parse(&show.status).unwrap_or(ShowStatus::Scheduled);
    let mut summary = String::new();
    if !what_changed.is_empty() {
        summary.push_str(what_changed);
        summary.push_str(" · ");
    } else if let Some(h) = status.headline() {
        summary.push_str(h);
        summary.push_str(" · ");
    }
    summary.push_str(&format!(
        "{} · {}, {}",
        start.format("%a %-d %b %Y %H:%M %Z"),
        show.venue_name,
        show.city
    ));
    if let (Some(url), false) = (&show.ticket_url, status == ShowStatus::Cancelled) {
        summary.push_str(&format!(" · Tickets: {url}"));
    }
    let name = match status.headline() {
        Some(h) => format!("{h}: {} – {}", artist.display_name, show.city),
        None => format!("{} – {}", artist.display_name, show.city),
    };
    let mut content = format!("<p>{}</p>", html_escape(&summary));
    let acts = shows::support_acts(show);
    if !acts.is_empty() {
        content.push_str(&format!("<p>With {}</p>", html_escape(&acts.join(", "))));
    }
    if let Some(doors) = show.doors_at {
        content.push_str(&format!(
            "<p>Doors {}</p>",
            doors.and_utc().with_timezone(&tz).format("%H:%M")
        ));
    }
    if !show.price_note.is_empty() {
        content.push_str(&format!("<p>{}</p>", html_escape(&show.price_note)));
    }
    content.push_str(&show.description_html);
    if let Some(url) = &show.ticket_url {
        content.push_str(&format!(
            r#"<p><a href="{}" rel="nofollow noopener noreferrer" target="_blank">Tickets</a></p>"#,
            html_escape(url)
        ));
    }
    let mut address = serde_json::json!({
        "type": "PostalAddress",
        "addressLocality": show.city,
        "addressCountry": show.country,
    });
    for (key, value) in [
        ("streetAddress", &show.street_address),
        ("postalCode", &show.postal_code),
        ("addressRegion", &show.region),
    ] {
        if !value.is_empty() {
            address[key] = serde_json::Value::String(value.clone());
        }
    }
    let mut location =
        serde_json::json!({"type": "Place", "name": show.venue_name, "address": address});
    if let (Some(lat), Some(lon)) = (show.latitude, show.longitude) {
        location["latitude"] = lat.into();
        location["longitude"] = lon.into();
    }
    let attachment: Vec<serde_json::Value> = poster
        .map(|p| {
            let mut doc = serde_json::json!({
                "type": "Document", "mediaType": p.content_type, "url": urls.media(&p.file_name),
                "name": if p.alt_text.is_empty() { format!("Poster of {name}") } else { p.alt_text.clone() },
            });
            if let Some(b) = &p.blurhash {
                doc["blurhash"] = serde_json::Value::String(b.clone());
            }
            doc
        })
        .into_iter()
        .collect();
    let mut event = serde_json::json!({
        "type": "Event",
        "id": id,
        "url": id,
        "attributedTo": urls.actor(&artist.username),
        "to": to,
        "cc": cc,
        "name": name,
        "summary": summary,
        "content": content,
        "mediaType": "text/html",
        "startTime": start.to_rfc3339(),
        "timezone": show.timezone,
        "location": location,
        "attachment": attachment,
        "tag": [],
        "joinMode": "external",
        "eventStatus": status.schema_org(),
        "category": "MUSIC",
        "published": show.published_at.and_utc(),
        "updated": show.updated_at.and_utc(),
    });
    if let Some(end) = show.ends_at {
        event["endTime"] = serde_json::Value::String(end.and_utc().with_timezone(&tz).to_rfc3339());
    }
    if let Some(url) = &show.ticket_url {
        event["externalParticipationUrl"] = serde_json::Value::String(url.clone());
    }
    event
}

/// What a deleted show becomes.
pub fn show_tombstone(artist: &Artist, show: &ShowRow, urls: &Urls) -> Tombstone {
    Tombstone {
        kind: "Tombstone",
        id: urls.show(&artist.username, show.id),
        former_type: "Event",
        deleted: show.deleted_at.unwrap_or(show.updated_at).and_utc(),
    }
}

/// Mastodon shows at most four attachments.
pub const MAX_ATTACHMENTS: usize = 4;

/// What a deleted release becomes.
pub fn release_tombstone(artist: &Artist, release: &ReleaseRow, urls: &Urls) -> Tombstone {
    Tombstone {
        kind: "Tombstone",
        id: urls.release(&artist.username, release.id),
        former_type: "Note",
        deleted: release.deleted_at.unwrap_or(release.updated_at).and_utc(),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
