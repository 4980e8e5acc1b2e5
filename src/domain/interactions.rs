//! Fans passing music along: boosts and likes of an artist's posts and releases, and replies to
//! them. A boost is worth one point to the fan, once per object.

use super::DomainError;
use crate::db::{
    self,
    interactions::{NewReply, ObjectKey},
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

/// Records a boost or like; a repeat for the same object changes nothing.
pub async fn record(
    db: &Db,
    what: Interaction,
    object: ObjectKey,
    fan: &RemoteActorRow,
    activity_id: &str,
) -> Result<bool, DomainError> {
    Ok(db::interactions::record(db, what.as_str(), object, fan.id, activity_id).await?)
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
