//! Short text posts: Markdown in, sanitised HTML out, published through the [`Publisher`].

use super::{DomainError, Publisher};
use crate::db::{self, artists::Artist, posts::PostRow, Db};

/// Who may see a post, in Mastodon's terms.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Everyone; listed in public timelines.
    Public,
    /// Everyone, but not listed in public timelines.
    Unlisted,
    /// Followers only.
    Followers,
    /// Only the people mentioned (a direct message).
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
            Visibility::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "followers" => Some(Visibility::Followers),
            "direct" => Some(Visibility::Direct),
            _ => None,
        }
    }
}

/// Longest post text accepted, in characters (Mastodon's default is 500; artists write more).
pub const MAX_POST_CHARS: usize = 5000;

/// Renders Markdown to HTML that is safe to show anywhere: only formatting and links survive.
pub fn render_markdown(source: &str) -> String {
    let parser =
        pulldown_cmark::Parser::new_ext(source, pulldown_cmark::Options::ENABLE_STRIKETHROUGH);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    sanitize_html(&html)
}

/// Keeps an allowlist of tags and attributes; links get `rel="nofollow noopener noreferrer"`.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .tags(maplit_set(&[
            "p",
            "br",
            "a",
            "strong",
            "em",
            "b",
            "i",
            "del",
            "s",
            "ul",
            "ol",
            "li",
            "blockquote",
            "code",
            "pre",
            "h1",
            "h2",
            "h3",
            "h4",
            "span",
        ]))
        .url_schemes(maplit_set(&["http", "https", "mailto"]))
        .link_rel(Some("nofollow noopener noreferrer"))
        .clean(html)
        .to_string()
        .trim()
        .to_owned()
}

fn maplit_set<'a>(items: &[&'a str]) -> std::collections::HashSet<&'a str> {
    items.iter().copied().collect()
}

/// Someone a post mentions, who also receives it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Mention {
    /// The actor id.
    pub href: String,
    /// `@user@host`.
    pub name: String,
    pub inbox: String,
    pub host: String,
}

impl Mention {
    /// Mentions a remote actor.
    pub fn of(actor: &crate::db::remote_actors::RemoteActorRow) -> Mention {
        Mention {
            href: actor.ap_id.clone(),
            name: format!("@{}", actor.handle()),
            inbox: actor
                .shared_inbox
                .clone()
                .unwrap_or_else(|| actor.inbox.clone()),
            host: actor.domain.clone(),
        }
    }

    /// The link Mastodon renders as a mention.
    pub fn html(&self) -> String {
        let user = self
            .name
            .trim_start_matches('@')
            .split('@')
            .next()
            .unwrap_or_default();
        format!(
            r#"<span class="h-card"><a href="{}" class="u-url mention">@<span>{}</span></a></span>"#,
            ammonia::clean_text(&self.href),
            ammonia::clean_text(user)
        )
    }
}

/// The mentions stored with a post.
pub fn mentions(post: &PostRow) -> Vec<Mention> {
    serde_json::from_str(&post.mentions).unwrap_or_default()
}

/// Creates a post and publishes it to the artist's followers.
pub async fn create(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    content: &str,
    visibility: Visibility,
) -> Result<PostRow, DomainError> {
    if visibility == Visibility::Direct {
        return Err(DomainError::Invalid(
            "a direct message needs someone to write to".to_owned(),
        ));
    }
    create_with(db, publisher, artist, content, visibility, None, &[]).await
}

/// Creates a post that may answer an object and mention people (who then receive it too).
pub async fn create_with(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    content: &str,
    visibility: Visibility,
    in_reply_to: Option<&str>,
    mentioned: &[Mention],
) -> Result<PostRow, DomainError> {
    let content = content.trim();
    if content.is_empty() {
        return Err(DomainError::Invalid("content must not be empty".to_owned()));
    }
    if content.chars().count() > MAX_POST_CHARS {
        return Err(DomainError::Invalid(format!(
            "content must be at most {MAX_POST_CHARS} characters"
        )));
    }
    let body = render_markdown(content);
    if body.is_empty() {
        return Err(DomainError::Invalid(
            "content has no visible text".to_owned(),
        ));
    }
    // Mastodon shows the mentions at the start of the text.
    let html = if mentioned.is_empty() {
        body
    } else {
        let links: Vec<String> = mentioned.iter().map(Mention::html).collect();
        format!("<p>{}</p>{body}", links.join(" "))
    };
    let mentions_json =
        serde_json::to_string(mentioned).map_err(|e| DomainError::Internal(e.to_string()))?;
    let new = db::posts::NewPost {
        artist_id: artist.id,
        content_source: content,
        content_html: &html,
        visibility: visibility.as_str(),
        in_reply_to,
        mentions: &mentions_json,
    };
    let post =
        db::posts::insert_published(db, &new, |post| publisher.post_created(artist, post)).await?;
    publisher.queued();
    Ok(post)
}

/// Deletes one of the artist's posts and tells followers.
pub async fn delete(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    post_id: i64,
) -> Result<(), DomainError> {
    let post = db::posts::by_id(db, post_id)
        .await?
        .filter(|p| p.artist_id == artist.id)
        .ok_or(DomainError::NotFound("post"))?;
    if post.deleted_at.is_some() {
        return Err(DomainError::Gone("post was deleted"));
    }
    let object_id = publisher.post_created(artist, &post).object_ap_id;
    if db::posts::delete_published(db, &post, &object_id, |deleted| {
        publisher.post_deleted(artist, deleted)
    })
    .await?
    {
        publisher.queued();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_is_rendered_and_sanitised() {
        let html = render_markdown(
            "**New album** out now: <script>alert(1)</script> [listen](https://x.example/a)",
        );
        assert!(html.contains("<strong>New album</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://x.example/a" rel="nofollow noopener noreferrer">listen</a>"#
            ),
            "{html}"
        );
        let html = render_markdown("[x](javascript:alert(1)) <img src=x onerror=alert(1)>");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }
}
