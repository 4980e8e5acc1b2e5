//! Discovery: WebFinger, host-meta and NodeInfo.

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use url::Url;

use bytes::Bytes;

use super::{cache::Document, error::AppError};
use crate::{db, AppState};

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

#[derive(Serialize)]
struct WebfingerLink {
    rel: &'static str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    href: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<String>,
}

#[derive(Serialize)]
struct Webfinger {
    subject: String,
    aliases: Vec<String>,
    links: Vec<WebfingerLink>,
}

/// Which local account a WebFinger `resource` names: `acct:user@domain` or an actor URL.
enum Resource {
    Artist(String),
    Instance,
}

fn parse_resource(state: &AppState, resource: &str) -> Result<Resource, AppError> {
    let domain = &state.config.domain;
    if let Some(acct) = resource.strip_prefix("acct:") {
        let acct = acct.trim_start_matches('@');
        let (user, host) = acct
            .rsplit_once('@')
            .ok_or_else(|| AppError::BadRequest("acct resource must be user@domain".to_owned()))?;
        if !host.eq_ignore_ascii_case(domain) {
            return Err(AppError::not_found("account"));
        }
        if user.eq_ignore_ascii_case(domain) {
            return Ok(Resource::Instance);
        }
        return Ok(Resource::Artist(user.to_ascii_lowercase()));
    }
    let url = Url::parse(resource)
        .map_err(|_| AppError::BadRequest("resource must be an acct: URI or a URL".to_owned()))?;
    if url == state.urls.instance_actor() {
        return Ok(Resource::Instance);
    }
    state
        .urls
        .username_of(&url)
        .map(Resource::Artist)
        .ok_or_else(|| AppError::not_found("account"))
}

/// `GET /.well-known/webfinger?resource=…`
pub async fn webfinger(
    State(state): State<AppState>,
    Query(q): Query<WebfingerQuery>,
) -> Result<Response, AppError> {
    let resource = q
        .resource
        .ok_or_else(|| AppError::BadRequest("resource parameter is required".to_owned()))?;
    let domain = &state.config.domain;
    let urls = &state.urls;
    let doc = match parse_resource(&state, &resource)? {
        Resource::Instance => Webfinger {
            subject: format!("acct:{domain}@{domain}"),
            aliases: vec![urls.instance_actor().to_string()],
            links: vec![WebfingerLink {
                rel: "self",
                kind: Some("application/activity+json"),
                href: Some(urls.instance_actor().to_string()),
                template: None,
            }],
        },
        Resource::Artist(username) => {
            // Fetched before every follow and mention: served from the cache while unchanged.
            if let Some(body) = state.documents.get(Document::Webfinger, &username) {
                return Ok(jrd(body));
            }
            let changes = db::artists::changes();
            let artist = db::artists::by_username(&state.db, &username)
                .await?
                .ok_or_else(|| AppError::not_found("account"))?;
            let body = serde_json::to_vec(&artist_webfinger(&state, &artist.username))
                .map(Bytes::from)
                .map_err(|e| AppError::Internal(e.into()))?;
            state
                .documents
                .put(Document::Webfinger, &username, changes, body.clone());
            return Ok(jrd(body));
        }
    };
    let body = serde_json::to_vec(&doc).map_err(|e| AppError::Internal(e.into()))?;
    Ok(jrd(Bytes::from(body)))
}

fn artist_webfinger(state: &AppState, username: &str) -> Webfinger {
    let domain = &state.config.domain;
    let actor = state.urls.actor(username).to_string();
    let profile = state.urls.profile(username).to_string();
    Webfinger {
        subject: format!("acct:{username}@{domain}"),
        aliases: vec![actor.clone(), profile.clone()],
        links: vec![
            WebfingerLink {
                rel: "self",
                kind: Some("application/activity+json"),
                href: Some(actor),
                template: None,
            },
            WebfingerLink {
                rel: "http://webfinger.net/rel/profile-page",
                kind: Some("text/html"),
                href: Some(profile),
                template: None,
            },
        ],
    }
}

/// A WebFinger answer: JRD, readable from browsers' scripts.
fn jrd(body: Bytes) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jrd+json"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /.well-known/host-meta`: the WebFinger template, for servers that look here first.
pub async fn host_meta(State(state): State<AppState>) -> Response {
    let template = state.urls.webfinger_template().replace('&', "&amp;");
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  <Link rel=\"lrdd\" template=\"{template}\"/>\n</XRD>\n"
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/xrd+xml; charset=utf-8"),
        )],
        xml,
    )
        .into_response()
}

/// The NodeInfo schema versions served, newest first: 2.0 too, for clients that know only it
/// (bovine, older crawlers). They differ only in `software.homepage`, which 2.0 lacks.
const NODEINFO_VERSIONS: [&str; 2] = ["2.1", "2.0"];

/// `GET /.well-known/nodeinfo`
pub async fn nodeinfo_links(State(state): State<AppState>) -> Json<serde_json::Value> {
    let links: Vec<serde_json::Value> = NODEINFO_VERSIONS
        .iter()
        .map(|version| {
            serde_json::json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{version}"),
                "href": state.urls.nodeinfo(version).to_string(),
            })
        })
        .collect();
    Json(serde_json::json!({ "links": links }))
}

/// `GET /nodeinfo/2.1` and `GET /nodeinfo/2.0`
pub async fn nodeinfo(
    State(state): State<AppState>,
    Path(version): Path<String>,
) -> Result<Response, AppError> {
    let Some(version) = NODEINFO_VERSIONS.into_iter().find(|v| *v == version) else {
        return Err(AppError::NotFound(format!(
            "no NodeInfo schema {version} here"
        )));
    };
    let users = db::artists::count(&state.db).await?;
    let posts = db::posts::count_all_live(&state.db).await?;
    let instance = crate::domain::instance::settings(&state.db, &state.config.domain).await?;
    let mut body = serde_json::json!({
        "version": version,
        "software": {
            "name": "roadie",
            "version": env!("CARGO_PKG_VERSION"),
            "homepage": "https://github.com/roadie-fm/roadie",
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": posts,
        },
        "metadata": {
            "nodeName": instance.name,
            "nodeDescription": instance.description_text(),
        },
    });
    if version == "2.0" {
        if let Some(software) = body["software"].as_object_mut() {
            software.remove("homepage");
        }
    }
    let content_type = format!(
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/{version}#\""
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_str(&content_type)
                .map_err(|e| AppError::Internal(anyhow::anyhow!("content type: {e}")))?,
        )],
        Json(body),
    )
        .into_response())
}
