//! Pass links: a fan shares a page with their own link (`?via=CODE`), and every distinct visitor
//! who opens it is a successful pass worth a point — once per visitor, object and day; never the
//! fan themselves or a bot. No IP address is stored: only a hash salted with a secret that is
//! replaced every day.

use std::collections::HashMap;

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::DomainError;
use crate::db::{self, artists::Artist, interactions::ObjectKey, Db};

/// User agents of crawlers, link-preview fetchers and tools, which are not fans.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "fetch",
    "http",
    "curl",
    "wget",
    "python",
    "java/",
    "go-http",
    "mastodon",
    "pleroma",
    "akkoma",
    "misskey",
    "gotosocial",
    "friendica",
    "lemmy",
    "peertube",
    "fedify",
    "roadie",
    "headless",
    "facebookexternalhit",
    "embedly",
];

/// True when a request does not come from a person's browser.
pub fn is_bot(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    ua.trim().is_empty() || BOT_MARKERS.iter().any(|m| ua.contains(m))
}

fn random_token(bytes: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut raw = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    raw.iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The pass link code of a fan (`user@host`), made on first use and stable afterwards.
pub async fn code_for(db: &Db, handle: &str) -> Result<String, DomainError> {
    Ok(db::passes::code_for(db, &handle.to_lowercase(), &random_token(10)).await?)
}

/// Who is visiting, as far as counting needs: never stored as such.
pub struct Visitor<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// The pass code this browser shared itself (a cookie set when it made its link).
    pub own_code: Option<&'a str>,
}

/// Counts a visit through a pass link. Returns whether it counted.
pub async fn count_visit(
    db: &Db,
    code: &str,
    object: ObjectKey,
    visitor: &Visitor<'_>,
) -> Result<bool, DomainError> {
    if is_bot(visitor.user_agent) || visitor.own_code == Some(code) || code.len() > 32 {
        return Ok(false);
    }
    if !db::passes::exists(db, code).await? {
        return Ok(false);
    }
    let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let salt = db::passes::salt_for(db, &day, &random_token(32)).await?;
    let hash = hex::encode(Sha256::digest(
        format!("{salt}\n{}\n{}", visitor.ip, visitor.user_agent).as_bytes(),
    ));
    Ok(db::passes::record_visit(db, code, object, &hash, &day).await?)
}

/// One fan's standing with an artist.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Standing {
    /// `user@host`.
    pub handle: String,
    pub name: String,
    /// Profile URL, when known.
    pub url: Option<String>,
    /// Distinct posts and releases boosted.
    pub boosts: i64,
    /// Distinct visitors brought through pass links.
    pub passes: i64,
    pub points: i64,
}

/// Fans by points (boosts plus passes) for an artist, since `since` or all time.
pub async fn leaderboard(
    db: &Db,
    artist: &Artist,
    since: Option<chrono::NaiveDateTime>,
    limit: usize,
) -> Result<Vec<Standing>, DomainError> {
    let mut by_handle: HashMap<String, Standing> = HashMap::new();
    for (fan, boosts) in db::interactions::top_boosters(db, artist.id, since, 1000).await? {
        let handle = fan.handle().to_lowercase();
        by_handle.insert(
            handle.clone(),
            Standing {
                name: fan.shown_name(),
                url: Some(fan.profile_url()),
                handle,
                boosts,
                passes: 0,
                points: 0,
            },
        );
    }
    for (handle, passes) in db::passes::passes_by_handle(db, artist.id, since).await? {
        by_handle
            .entry(handle.clone())
            .or_insert_with(|| Standing {
                name: handle.split('@').next().unwrap_or_default().to_owned(),
                url: None,
                handle,
                boosts: 0,
                passes: 0,
                points: 0,
            })
            .passes = passes;
    }
    let mut list: Vec<Standing> = by_handle
        .into_values()
        .map(|mut s| {
            s.points = s.boosts + s.passes;
            s
        })
        .collect();
    list.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then_with(|| a.handle.cmp(&b.handle))
    });
    list.truncate(limit);
    Ok(list)
}

/// The public leaderboard: [`leaderboard`] without the fans who asked to be left out.
pub async fn public_leaderboard(
    db: &Db,
    artist: &Artist,
    since: Option<chrono::NaiveDateTime>,
    limit: usize,
) -> Result<Vec<Standing>, DomainError> {
    let hidden = db::passes::optouts(db, artist.id).await?;
    let mut list = leaderboard(db, artist, since, usize::MAX).await?;
    list.retain(|s| !hidden.contains(&s.handle));
    list.truncate(limit);
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bots_and_fetchers_are_not_visitors() {
        for ua in [
            "",
            "Mozilla/5.0 (compatible; Googlebot/2.1)",
            "Mastodon/4.5 (http.rb; +https://m.example/)",
            "curl/8.0",
            "facebookexternalhit/1.1",
        ] {
            assert!(is_bot(ua), "{ua}");
        }
        assert!(!is_bot(
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
        ));
    }
}
