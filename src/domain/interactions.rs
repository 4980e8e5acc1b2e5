//! Fans passing music along: boosts and likes of an artist's posts and releases, and replies to
//! them. A boost is worth one point to the fan, once per object.

use super::{
    posts::{self, Mention, Visibility},
    DomainError, Publisher,
};
use crate::db::{
    self,
    artists::Artist,
    interactions::{NewReply, ObjectKey},
    posts::PostRow,
    remote_actors::RemoteActorRow,
    Db,
};

/// Boost (`announce`) or like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    Boost,
    Like,
}

impl Interaction {
    pub fn as_str(self) -> &'static str {
        match self {
            Interaction::Boost => "announce",
            Interaction::Like => "like",
        }
    }
}

/// Takes back a fan's boost or like: by the id of the undone activity, or, when that is unknown
/// (some servers send new ids), by what it was about.
pub async fn undo(
    db: &Db,
    fan: &RemoteActorRow,
    activity_id: &str,
    about: Option<(Interaction, ObjectKey)>,
) -> Result<usize, DomainError> {
    let mut removed = db::interactions::undo_activity(db, fan.id, activity_id).await?;
    if removed == 0 {
        if let Some((what, object)) = about {
            removed = db::interactions::undo_object(db, fan.id, what.as_str(), object).await?;
        }
    }
    Ok(removed)
}

/// Keeps a remote reply's HTML to what is safe to show: paragraphs, line breaks, links (marked as
/// user content) and mentions; no images, scripts, styles or other schemes than http(s).
pub fn sanitize_reply(html: &str) -> String {
    let tags: std::collections::HashSet<&str> = ["p", "br", "a", "span"].into_iter().collect();
    let schemes: std::collections::HashSet<&str> = ["http", "https"].into_iter().collect();
    ammonia::Builder::default()
        .tags(tags)
        .url_schemes(schemes)
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .clean(html)
        .to_string()
}

/// Longest reply text kept, in characters of HTML.
pub const MAX_REPLY_HTML: usize = 20_000;

/// Stores a reply (sanitised); false when it was known already.
pub async fn reply(db: &Db, mut reply: NewReply) -> Result<bool, DomainError> {
    let clean = sanitize_reply(&reply.content_html);
    reply.content_html = if clean.chars().count() > MAX_REPLY_HTML {
        sanitize_reply(&clean.chars().take(MAX_REPLY_HTML).collect::<String>())
    } else {
        clean
    };
    Ok(db::interactions::insert_reply(db, &reply).await?)
}

/// Edits a reply, if the fan wrote it; anyone else's edit is ignored.
pub async fn edit_reply(
    db: &Db,
    fan: &RemoteActorRow,
    ap_id: &str,
    content_html: &str,
) -> Result<bool, DomainError> {
    let clean = sanitize_reply(content_html);
    Ok(db::interactions::update_reply(db, ap_id, fan.id, &clean).await?)
}

/// Deletes a reply, if the fan wrote it.
pub async fn delete_reply(db: &Db, fan: &RemoteActorRow, ap_id: &str) -> Result<bool, DomainError> {
    Ok(db::interactions::delete_reply(db, ap_id, fan.id).await?)
}

/// What an artist does with a fan's reply on Roadie's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyModeration {
    Hide,
    Unhide,
    /// Removed from Roadie (it stays on the fan's server).
    Remove,
}

/// Hides, shows again or removes a reply under one of the artist's posts or releases.
pub async fn moderate_reply(
    db: &Db,
    artist: &Artist,
    reply_id: i64,
    action: ReplyModeration,
) -> Result<(), DomainError> {
    db::interactions::reply_of_artist(db, artist.id, reply_id)
        .await?
        .ok_or(DomainError::NotFound("reply"))?;
    let (hidden, remove) = match action {
        ReplyModeration::Hide => (true, false),
        ReplyModeration::Unhide => (false, false),
        ReplyModeration::Remove => (true, true),
    };
    Ok(db::interactions::moderate_reply(db, reply_id, hidden, remove).await?)
}

/// The artist answers a fan's reply: a public post (Markdown) in the thread that mentions the
/// fan, so their server receives it even when they do not follow.
pub async fn answer_reply(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    reply_id: i64,
    content: &str,
) -> Result<PostRow, DomainError> {
    let (reply, fan) = db::interactions::reply_of_artist(db, artist.id, reply_id)
        .await?
        .ok_or(DomainError::NotFound("reply"))?;
    posts::create_with(
        db,
        publisher,
        artist,
        content,
        Visibility::Public,
        Some(&reply.ap_id),
        &[Mention::of(&fan)],
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_lose_everything_dangerous() {
        let html = sanitize_reply(
            r#"<p onclick="x()">Great <script>alert(1)</script><iframe src="https://evil.example"></iframe>
               <a href="javascript:alert(1)">click</a> <a href="https://ok.example/">ok</a>
               <img src="https://tracker.example/p.png"> <a href="data:text/html,x">d</a></p>"#,
        );
        for bad in [
            "script",
            "iframe",
            "onclick",
            "javascript:",
            "<img",
            "data:",
        ] {
            assert!(!html.contains(bad), "{bad} in {html}");
        }
        assert!(
            html.contains(
                r#"<a href="https://ok.example/" rel="nofollow noopener noreferrer ugc">ok</a>"#
            ),
            "{html}"
        );
    }
}
