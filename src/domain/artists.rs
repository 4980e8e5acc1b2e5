//! Creating artists and their API tokens.

use sha2::{Digest, Sha256};

use super::DomainError;
use crate::db::{self, artists::Artist, Db};
use crate::federation::keys;

/// A local username: 1–30 characters of `a-z`, `0-9` and `_`, as Mastodon allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, DomainError> {
        let valid = !raw.is_empty()
            && raw.len() <= 30
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Username(raw.to_owned()))
        } else {
            Err(DomainError::Invalid(format!(
                "username {raw:?} must be 1-30 characters of a-z, 0-9 and _"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Creates a local artist with a fresh RSA-2048 key pair.
pub async fn create(
    db: &Db,
    username: &Username,
    display_name: &str,
) -> Result<Artist, DomainError> {
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 100 {
        return Err(DomainError::Invalid(
            "display name must be 1-100 characters".to_owned(),
        ));
    }
    if db::artists::by_username(db, username.as_str())
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "artist {} already exists",
            username.as_str()
        )));
    }
    // Key generation takes a noticeable fraction of a second: keep it off the async workers.
    let pair = tokio::task::spawn_blocking(keys::generate_rsa_2048)
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let now = db::now();
    let new = db::artists::NewArtist {
        username: username.as_str(),
        display_name,
        summary: "",
        manually_approves_followers: false,
        discoverable: true,
        links: "[]",
        public_key_pem: &pair.public_pem,
        private_key_pem: &pair.private_pem,
        created_at: now,
        updated_at: now,
    };
    match db::artists::insert(db, &new).await {
        Err(e) if e.is_unique_violation() => Err(DomainError::Conflict(format!(
            "artist {} already exists",
            username.as_str()
        ))),
        other => Ok(other?),
    }
}

/// A profile link: a label and an http(s) URL.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ProfileLink {
    /// Label, e.g. "Bandcamp".
    pub name: String,
    /// Where it points (http or https).
    pub url: String,
}

/// Most profile links kept, as on Mastodon by default.
pub const MAX_PROFILE_LINKS: usize = 4;

/// Changes to an artist's profile; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    /// Markdown; stored rendered and sanitised.
    pub summary: Option<String>,
    pub links: Option<Vec<ProfileLink>>,
    pub manually_approves_followers: Option<bool>,
    pub discoverable: Option<bool>,
    /// Id of one of the artist's image uploads to show as avatar; `Some(None)` removes it.
    pub avatar_media_id: Option<Option<String>>,
    /// Id of one of the artist's image uploads to show as header; `Some(None)` removes it.
    pub header_media_id: Option<Option<String>>,
}

/// The stored file name of an artist's own image upload, for the avatar or header.
async fn own_image(
    db: &Db,
    artist: &Artist,
    media_id: Option<String>,
    what: &str,
) -> Result<Option<String>, DomainError> {
    let Some(id) = media_id else {
        return Ok(None);
    };
    match db::media::by_id(db, &id).await? {
        Some(m) if m.artist_id == artist.id && m.kind == "image" => Ok(Some(m.file_name)),
        _ => Err(DomainError::Invalid(format!(
            "{what} {id:?} is not one of your image uploads"
        ))),
    }
}

/// Validates and applies a profile update, then tells followers' servers (`Update`).
pub async fn update_profile(
    db: &Db,
    publisher: &dyn super::Publisher,
    artist: &Artist,
    update: ProfileUpdate,
) -> Result<Artist, DomainError> {
    let mut changes = db::artists::ProfileChanges {
        manually_approves_followers: update.manually_approves_followers,
        discoverable: update.discoverable,
        updated_at: Some(db::now()),
        ..Default::default()
    };
    if let Some(name) = update.display_name {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DomainError::Invalid(
                "display name must be 1-100 characters".to_owned(),
            ));
        }
        changes.display_name = Some(name.to_owned());
    }
    if let Some(summary) = update.summary {
        if summary.chars().count() > 2000 {
            return Err(DomainError::Invalid(
                "summary must be at most 2000 characters".to_owned(),
            ));
        }
        changes.summary = Some(super::posts::render_markdown(&summary));
    }
    if let Some(links) = update.links {
        if links.len() > MAX_PROFILE_LINKS {
            return Err(DomainError::Invalid(format!(
                "at most {MAX_PROFILE_LINKS} links"
            )));
        }
        for link in &links {
            let name_ok = !link.name.trim().is_empty() && link.name.chars().count() <= 255;
            let url_ok = url::Url::parse(&link.url)
                .map(|u| matches!(u.scheme(), "http" | "https"))
                .unwrap_or(false);
            if !name_ok || !url_ok {
                return Err(DomainError::Invalid(format!(
                    "link {:?} needs a name of 1-255 characters and an http(s) URL",
                    link.name
                )));
            }
        }
        changes.links =
            Some(serde_json::to_string(&links).map_err(|e| DomainError::Internal(e.to_string()))?);
    }
    if let Some(avatar) = update.avatar_media_id {
        changes.avatar_file = Some(own_image(db, artist, avatar, "avatar").await?);
    }
    if let Some(header) = update.header_media_id {
        changes.header_file = Some(own_image(db, artist, header, "header").await?);
    }
    let updated =
        db::artists::update_profile(db, artist.id, &changes, |a| publisher.actor_updated(a))
            .await?;
    publisher.queued();
    Ok(updated)
}

/// The profile links stored for an artist.
pub fn profile_links(artist: &Artist) -> Vec<ProfileLink> {
    serde_json::from_str(&artist.links).unwrap_or_default()
}

/// Hash under which a token is stored; the token itself is never stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an API token for an artist and returns it (shown once).
pub async fn create_token(db: &Db, username: &str) -> Result<String, DomainError> {
    let artist = db::artists::by_username(db, username)
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = format!("roadie_{}", hex::encode(bytes));
    db::tokens::insert(db, artist.id, &token_hash(&token)).await?;
    Ok(token)
}

/// Revokes one of the artist's API tokens.
pub async fn revoke_token(db: &Db, artist: &Artist, token_id: i64) -> Result<(), DomainError> {
    if db::tokens::delete(db, artist.id, token_id).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound("token"))
    }
}

/// The artist an API token belongs to.
pub async fn by_token(db: &Db, token: &str) -> Result<Option<Artist>, DomainError> {
    Ok(db::tokens::artist_for_hash(db, &token_hash(token)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_mastodon_rules() {
        assert!(Username::parse("the_band_42").is_ok());
        for bad in ["", "Band", "a b", "bänd", "x/y", &"a".repeat(31)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }
}
