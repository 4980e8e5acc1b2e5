//! Remote actors, fetched through the federation library (fetch limits, content-type and id
//! checks, signed GETs by the instance actor) and cached in `remote_actors`.

use activitypub_federation::{config::Data, fetch::object_id::ObjectId, traits::Object};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use url::Url;

use super::{
    keys::VerifyingKey,
    protocol::{
        actor::{RemoteActorJson, ACTOR_TYPES},
        same_origin,
    },
    FederationError,
};
use crate::{
    app::Ctx,
    db::{
        self,
        remote_actors::{NewRemoteActor, RemoteActorRow},
    },
};

/// A cached remote actor with its parsed id.
#[derive(Debug, Clone)]
pub struct RemoteActor {
    pub id: Url,
    pub row: RemoteActorRow,
}

impl RemoteActor {
    fn from_row(row: RemoteActorRow) -> Result<Self, FederationError> {
        let id = Url::parse(&row.ap_id).map_err(|e| FederationError::Fetch(e.to_string()))?;
        Ok(RemoteActor { id, row })
    }

    /// The stored actor or a fresh copy fetched over HTTP (re-fetched once a day).
    pub async fn dereference(id: &Url, data: &Data<Ctx>) -> Result<RemoteActor, FederationError> {
        refuse_unless_federating(id, data).await?;
        ObjectId::<RemoteActor>::from(id.clone())
            .dereference(data)
            .await
    }

    /// Always fetches a fresh copy, e.g. when a signature fails with the cached key.
    pub async fn refetch(id: &Url, data: &Data<Ctx>) -> Result<RemoteActor, FederationError> {
        refuse_unless_federating(id, data).await?;
        ObjectId::<RemoteActor>::from(id.clone())
            .dereference_forced(data)
            .await
    }
}

#[async_trait]
impl Object for RemoteActor {
    type DataType = Ctx;
    type Kind = RemoteActorJson;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.row.fetched_at.and_utc())
    }

    async fn read_from_id(id: Url, data: &Data<Ctx>) -> Result<Option<Self>, FederationError> {
        // Every inbox delivery starts here: a busy artist hears from the same fans again and
        // again, so their rows are kept in memory (a changed or refetched actor drops out).
        let changes = db::remote_actors::changes();
        if let Some(row) = data.remote_actors.get(id.as_str(), changes) {
            return Ok(Some(RemoteActor { id, row }));
        }
        let Some(row) = db::remote_actors::by_ap_id(&data.db, id.as_str()).await? else {
            return Ok(None);
        };
        data.remote_actors
            .put(id.as_str().to_owned(), changes, row.clone());
        Ok(Some(RemoteActor { id, row }))
    }

    async fn into_json(self, _data: &Data<Ctx>) -> Result<RemoteActorJson, FederationError> {
        // Remote actors are never served by Roadie.
        Err(FederationError::NotFound("local actor"))
    }

    async fn verify(
        json: &RemoteActorJson,
        expected: &Url,
        data: &Data<Ctx>,
    ) -> Result<(), FederationError> {
        if !same_origin(&json.id, expected) {
            return Err(FederationError::Fetch(
                "actor id is on another host".to_owned(),
            ));
        }
        if data.urls.is_local(&json.id) {
            return Err(FederationError::Fetch(
                "remote actor claims a local id".to_owned(),
            ));
        }
        // A redirect may have led elsewhere: the document's own host must federate too.
        refuse_unless_federating(&json.id, data).await?;
        if !ACTOR_TYPES.contains(&json.kind.as_str()) {
            return Err(FederationError::Fetch(format!(
                "{} is not an actor type",
                json.kind
            )));
        }
        if json.public_key.owner != json.id {
            return Err(FederationError::Fetch(
                "public key owner is not the actor".to_owned(),
            ));
        }
        VerifyingKey::from_pem(&json.public_key.public_key_pem)
            .map_err(|e| FederationError::Fetch(e.to_string()))?;
        if !matches!(json.inbox.scheme(), "http" | "https") {
            return Err(FederationError::Fetch(
                "inbox is not an http(s) URL".to_owned(),
            ));
        }
        Ok(())
    }

    async fn from_json(json: RemoteActorJson, data: &Data<Ctx>) -> Result<Self, FederationError> {
        let host = json.id.host_str().unwrap_or_default();
        let domain = match json.id.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_owned(),
        };
        let username = json
            .preferred_username
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| {
                json.id
                    .path_segments()
                    .and_then(|mut s| s.next_back())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        // Shown as a link on pages: only http(s), never `javascript:` or `data:`.
        let url = match &json.url {
            Some(serde_json::Value::String(s)) => Url::parse(s)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .map(String::from),
            _ => None,
        };
        let row = db::remote_actors::upsert(
            &data.db,
            &NewRemoteActor {
                ap_id: json.id.to_string(),
                username: truncate(&plain_text(&username), 200),
                domain,
                display_name: json.name.as_deref().map(|n| truncate(&plain_text(n), 200)),
                inbox: json.inbox.to_string(),
                // A shared inbox on another host could redirect our deliveries: ignore it.
                shared_inbox: json
                    .endpoints
                    .and_then(|e| e.shared_inbox)
                    .filter(|s| same_origin(s, &json.id))
                    .map(|s| s.to_string()),
                public_key_id: json.public_key.id.to_string(),
                public_key_pem: json.public_key.public_key_pem,
                url,
                fetched_at: db::now(),
            },
        )
        .await?;
        RemoteActor::from_row(row)
    }
}

/// Refuses hosts Roadie does not federate with (suspended, or not allowed in allowlist mode)
/// before anything is fetched from them.
async fn refuse_unless_federating(id: &Url, data: &Data<Ctx>) -> Result<(), FederationError> {
    if data
        .policies
        .url_policy(&data.db, data.config.federation_mode, id)
        .await?
        .refused
    {
        return Err(FederationError::Forbidden(format!(
            "{} is a blocked domain",
            id.host_str().unwrap_or_default()
        )));
    }
    Ok(())
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// A name as shown next to links: without control characters, bidirectional overrides and
/// isolates (which can flip `moc.elpmaxe` into a convincing host), zero-width characters or
/// anything shaped like an HTML tag (`<3` stays). Pages escape it again; API clients get it
/// clean too.
pub(crate) fn plain_text(s: &str) -> String {
    without_tags(s)
        .chars()
        .filter(|c| {
            !c.is_control()
                && !matches!(
                    c,
                    '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
                        | '\u{202A}'..='\u{202E}' // embeddings and overrides
                        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
                        | '\u{2066}'..='\u{2069}' // isolates
                        | '\u{061C}' // Arabic letter mark
                        | '\u{FEFF}' // zero-width no-break space
                )
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Drops `<…>` where `<` starts a tag (a letter, `/` or `!` follows) and a `>` closes it.
fn without_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let starts_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(end) if starts_tag => rest = &after[end + 1..],
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::plain_text;

    #[test]
    fn names_lose_direction_and_invisible_characters() {
        assert_eq!(plain_text("Ann\u{202E}moc.elpmaxe"), "Annmoc.elpmaxe");
        assert_eq!(
            plain_text("\u{2067}evil\u{2069}\u{200B}.example\u{FEFF}"),
            "evil.example"
        );
        assert_eq!(
            plain_text("Zoë 🎸 \u{0645}\u{0631}\u{062D}\u{0628}\u{0627}"),
            "Zoë 🎸 مرحبا"
        );
        assert_eq!(plain_text("a\nb\u{0007}"), "ab");
        assert_eq!(plain_text("<script>alert(1)</script>Ann"), "alert(1)Ann");
        assert_eq!(plain_text("Ann <3 <b"), "Ann <3 <b");
        assert_eq!(plain_text("<img src=x onerror=alert(1)>Bo"), "Bo");
    }
}
