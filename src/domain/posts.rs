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
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Followers => "followers",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s {
            "public" => Some(Visibility::Public),
            "unlisted" => Some(Visibility::Unlisted),
            "followers" => Some(Visibility::Followers),
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

/// Creates a post and publishes it to the artist's followers.
pub async fn create(
    db: &Db,
    publisher: &dyn Publisher,
    artist: &Artist,
    content: &str,
    visibility: Visibility,
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
    let html = render_markdown(content);
    if html.is_empty() {
        return Err(DomainError::Invalid(
            "content has no visible text".to_owned(),
        ));
    }
    let post =
        db::posts::insert_published(db, artist.id, content, &html, visibility.as_str(), |post| {
            publisher.post_created(artist, post)
        })
        .await?;
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
