//! WebFinger lookups of remote accounts: for remote follow (where a fan's own server wants them
//! to confirm a follow) and to find a fan's actor from the handle they typed on a web page.

use url::Url;

use super::client;
use crate::{config::Protocol, AppState};

/// The rel of a WebFinger link whose template leads to a server's "follow this account" screen.
pub const SUBSCRIBE_REL: &str = "http://ostatus.org/schema/1.0/subscribe";

#[derive(serde::Deserialize)]
struct Jrd {
    subject: Option<String>,
    #[serde(default)]
    links: Vec<JrdLink>,
}

#[derive(serde::Deserialize)]
struct JrdLink {
    rel: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    href: Option<String>,
    template: Option<String>,
}

/// Splits `@user@server` (or `user@server`) into its parts.
pub fn parse_handle(handle: &str) -> Option<(String, String)> {
    let handle = handle.trim().trim_start_matches('@');
    let (user, host) = handle.split_once('@')?;
    let valid_user = !user.is_empty()
        && user
            .chars()
            .all(|c| c.is_alphanumeric() || "_.-".contains(c));
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        && Url::parse(&format!("https://{host}/"))
            .is_ok_and(|u| u.host_str().is_some() && u.path() == "/");
    (valid_user && valid_host).then(|| (user.to_owned(), host.to_ascii_lowercase()))
}

/// Looks up `@user@host` by WebFinger. Errors are messages for the fan.
async fn lookup(state: &AppState, handle: &str) -> Result<(String, String, Jrd), String> {
    let (user, host) = parse_handle(handle).ok_or_else(|| {
        format!("{handle:?} does not look like a fediverse handle such as @you@mastodon.social")
    })?;
    // Remote servers speak https; plain http only in a local test set-up.
    let scheme = match state.config.protocol {
        Protocol::Https => "https",
        Protocol::Http => "http",
    };
    let mut lookup = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))
        .map_err(|_| format!("{host} is not a server name"))?;
    lookup
        .query_pairs_mut()
        .append_pair("resource", &format!("acct:{user}@{host}"));
    let unreachable = || {
        format!(
            "Could not reach {host}. Check the handle, or search for this artist in your own app."
        )
    };
    client::check_destination(&lookup, state.config.allow_private_network)
        .map_err(|_| unreachable())?;
    // A server Roadie does not federate with is not asked anything.
    let refused = state
        .policies
        .url_policy(&state.db, state.config.federation_mode, &lookup)
        .await
        .map_or(true, |p| p.refused);
    if refused {
        return Err(format!("This instance does not federate with {host}."));
    }
    let http = client::build(&state.urls.base(), &state.config);
    let response = http
        .get(lookup)
        .header("accept", "application/jrd+json, application/json")
        .send()
        .await
        .map_err(|_| unreachable())?;
    if !response.status().is_success() {
        return Err(format!("{host} does not know the account {user}@{host}."));
    }
    let bytes = response.bytes().await.map_err(|_| unreachable())?;
    if bytes.len() > 256 * 1024 {
        return Err(unreachable());
    }
    let jrd: Jrd = serde_json::from_slice(&bytes).map_err(|_| unreachable())?;
    // An answer about another account is not the fan's server speaking for the fan.
    let asked = format!("acct:{user}@{host}");
    if jrd
        .subject
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case(&asked))
    {
        tracing::info!(%asked, subject = ?jrd.subject, "WebFinger answered for another account");
        return Err(format!(
            "{host} answered for another account than {user}@{host}."
        ));
    }
    Ok((user, host, jrd))
}

/// The URL on the fan's server where they confirm following `actor`. Errors are messages for the
/// fan.
pub async fn subscribe_url(state: &AppState, handle: &str, actor: &Url) -> Result<Url, String> {
    let (_, host, jrd) = lookup(state, handle).await?;
    let template = jrd
        .links
        .into_iter()
        .find(|l| l.rel == SUBSCRIBE_REL)
        .and_then(|l| l.template)
        .ok_or_else(|| {
            format!("{host} offers no follow page for other servers. Search for this artist in your own app instead.")
        })?;
    let encoded: String = url::form_urlencoded::byte_serialize(actor.as_str().as_bytes()).collect();
    let target = Url::parse(&template.replace("{uri}", &encoded))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        // A follow page on another host would make Roadie an open redirect.
        .filter(|u| authority(u).as_deref() == Some(host.as_str()))
        .ok_or_else(|| format!("{host} gave an unusable follow page."))?;
    Ok(target)
}

/// The ActivityPub id of `@user@host`, from its WebFinger `self` link. The actor must live on the
/// host that was asked, so a server cannot hand out someone else's account. Errors are messages
/// for the fan.
pub async fn actor_id(state: &AppState, handle: &str) -> Result<Url, String> {
    let (user, host, jrd) = lookup(state, handle).await?;
    let is_activitypub = |t: &Option<String>| {
        t.as_deref().is_some_and(|t| {
            t == "application/activity+json" || t.starts_with("application/ld+json")
        })
    };
    jrd.links
        .into_iter()
        .filter(|l| l.rel == "self" && is_activitypub(&l.kind))
        .filter_map(|l| l.href.and_then(|h| Url::parse(&h).ok()))
        .find(|u| matches!(u.scheme(), "http" | "https") && authority(u).as_deref() == Some(&host))
        .ok_or_else(|| format!("{host} does not offer {user}@{host} as a fediverse account."))
}

/// `host[:port]` of a URL, lower case, the port only when it is not the scheme's default.
fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?.to_ascii_lowercase();
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_parsed_strictly() {
        assert_eq!(
            parse_handle("@me@mastodon.social"),
            Some(("me".into(), "mastodon.social".into()))
        );
        assert_eq!(
            parse_handle("me@Example.org"),
            Some(("me".into(), "example.org".into()))
        );
        assert_eq!(
            parse_handle("me@localhost:8080"),
            Some(("me".into(), "localhost:8080".into()))
        );
        for bad in [
            "me",
            "@me",
            "me@",
            "me@ex ample.org",
            "me@ex.org/path",
            "me@ex.org?x=1",
            "<b>@x.org",
        ] {
            assert_eq!(parse_handle(bad), None, "{bad}");
        }
    }
}
