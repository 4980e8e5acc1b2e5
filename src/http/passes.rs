//! The web side of passing music along: the "Pass it along" page that gives a fan their pass
//! link (and a button to their own server's share screen), counting visits that arrive through
//! such links, and the artist's ledger in the API.

use std::net::SocketAddr;

use askama::Template;
use axum::{
    extract::{ConnectInfo, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, Uri},
    response::{Html, IntoResponse, Response},
    Extension, Json,
};
use serde::Deserialize;
use url::Url;

use super::{api::auth::ApiArtist, error::AppError};
use crate::{
    config::Protocol,
    db::{self, interactions::ObjectKey},
    domain::passes::{self, Standing, Visitor},
    federation::webfinger::parse_handle,
    AppState,
};

/// Cookie naming the pass code this browser made, so its owner's own visits do not count.
pub const PASS_COOKIE: &str = "roadie_pass";

/// The visitor's address: the connection's peer, or the proxy's `X-Forwarded-For` when the
/// connection comes from loopback (Roadie behind a reverse proxy on the same machine).
fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
    let forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned());
    match peer {
        Some(addr) if !addr.ip().is_loopback() => addr.ip().to_string(),
        Some(addr) => forwarded.unwrap_or_else(|| addr.ip().to_string()),
        None => forwarded.unwrap_or_else(|| "unknown".to_owned()),
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Counts a page view that came through a pass link (`?via=CODE`). Never fails the page.
pub async fn count_visit(
    state: &AppState,
    uri: &Uri,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    object: ObjectKey,
) {
    let Some(code) = uri
        .query()
        .and_then(|q| url::form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "via"))
        .map(|(_, v)| v.into_owned())
    else {
        return;
    };
    let ip = client_ip(headers, peer);
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let own = cookie(headers, PASS_COOKIE);
    let visitor = Visitor {
        ip: &ip,
        user_agent,
        own_code: own.as_deref(),
    };
    match passes::count_visit(&state.db, &code, object, &visitor).await {
        Ok(counted) => {
            tracing::debug!(%code, counted, "pass visit");
            if counted {
                // The profile's leaderboard may move.
                super::cache::page_content_changed();
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count a pass visit"),
    }
}

/// The peer address, when the server was started with connection info.
pub type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// The socket address inside [`Peer`].
pub fn peer_addr(peer: &Peer) -> Option<SocketAddr> {
    peer.as_ref().map(|Extension(ConnectInfo(addr))| *addr)
}

#[derive(Template)]
#[template(path = "share.html")]
struct SharePage {
    title: String,
    page_url: String,
    share_path: String,
    typed: String,
    error: String,
    pass_link: Option<String>,
    server_share_url: Option<String>,
}

#[derive(Deserialize)]
pub struct ShareQuery {
    handle: Option<String>,
}

/// `GET /share/{kind}/{id}?handle=@me@my.server`: the fan's pass link for a post or release, and
/// their server's share screen (Mastodon's `/share?text=`) filled with it.
pub async fn share(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, i64)>,
    Query(q): Query<ShareQuery>,
) -> Result<Response, AppError> {
    let (title, page_url) = match kind.as_str() {
        "release" => {
            let r = db::releases::by_id(&state.db, id)
                .await?
                .filter(|r| r.state == "published" && r.deleted_at.is_none())
                .ok_or_else(|| AppError::not_found("release"))?;
            let artist = db::artists::by_id(&state.db, r.artist_id)
                .await?
                .ok_or_else(|| AppError::not_found("artist"))?;
            (
                format!("{} by {}", r.title, artist.display_name),
                state.urls.release(&artist.username, r.id),
            )
        }
        "post" => {
            let p = db::posts::by_id(&state.db, id)
                .await?
                .filter(|p| p.visibility != "followers" && p.deleted_at.is_none())
                .ok_or_else(|| AppError::not_found("post"))?;
            let artist = db::artists::by_id(&state.db, p.artist_id)
                .await?
                .ok_or_else(|| AppError::not_found("artist"))?;
            (
                format!("{} on {}", artist.display_name, state.config.domain),
                state.urls.post(&artist.username, p.id),
            )
        }
        _ => return Err(AppError::not_found("page")),
    };
    let mut page = SharePage {
        title,
        page_url: page_url.to_string(),
        share_path: format!("/share/{kind}/{id}"),
        typed: q.handle.clone().unwrap_or_default(),
        error: String::new(),
        pass_link: None,
        server_share_url: None,
    };
    let Some(typed) = q.handle.filter(|h| !h.trim().is_empty()) else {
        return render(&page, None);
    };
    let Some((user, host)) = parse_handle(&typed) else {
        page.error =
            format!("{typed:?} does not look like a fediverse handle such as @you@mastodon.social");
        return render(&page, None);
    };
    let code = passes::code_for(&state.db, &format!("{user}@{host}")).await?;
    let mut link = page_url.clone();
    link.query_pairs_mut().append_pair("via", &code);
    let scheme = match state.config.protocol {
        Protocol::Https => "https",
        Protocol::Http => "http",
    };
    let mut server_share = Url::parse(&format!("{scheme}://{host}/share"))
        .map_err(|_| AppError::Unprocessable(format!("{host} is not a server name")))?;
    server_share
        .query_pairs_mut()
        .append_pair("text", &format!("{} {link}", page.title));
    page.pass_link = Some(link.to_string());
    page.server_share_url = Some(server_share.to_string());
    render(&page, Some(&code))
}

fn render(page: &SharePage, code: Option<&str>) -> Result<Response, AppError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    let mut response = Html(html).into_response();
    if let Some(code) = code {
        // Marks this browser as the link's owner: its own clicks are not passes.
        let value =
            format!("{PASS_COOKIE}={code}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(response)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LedgerQuery {
    /// Only the last N days; all time when left out.
    days: Option<i64>,
}

/// Points per fan: boosts of the artist's posts and releases plus successful passes.
#[utoipa::path(
    get, path = "/api/v1/passes", tag = "passes",
    security(("bearer" = [])),
    params(LedgerQuery),
    responses((status = 200, description = "Fans by points", body = [Standing]))
)]
pub async fn ledger(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    Query(q): Query<LedgerQuery>,
) -> Result<Json<Vec<Standing>>, AppError> {
    let since = q
        .days
        .map(|d| db::now() - chrono::Duration::days(d.clamp(1, 3650)));
    Ok(Json(
        passes::leaderboard(&state.db, &artist, since, 1000).await?,
    ))
}

/// Passes one post or release brought.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ObjectPasses {
    /// `post` or `release`.
    kind: String,
    id: i64,
    url: String,
    /// Distinct visitors through fans' pass links.
    passes: i64,
}

/// Passes per post and release of the artist, most first.
#[utoipa::path(
    get, path = "/api/v1/passes/objects", tag = "passes",
    security(("bearer" = [])),
    responses((status = 200, description = "Passes per object", body = [ObjectPasses]))
)]
pub async fn per_object(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
) -> Result<Json<Vec<ObjectPasses>>, AppError> {
    let rows = db::passes::passes_by_object(&state.db, artist.id).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(kind, id, passes)| ObjectPasses {
                url: if kind == "release" {
                    state.urls.release(&artist.username, id).to_string()
                } else {
                    state.urls.post(&artist.username, id).to_string()
                },
                kind,
                id,
                passes,
            })
            .collect(),
    ))
}
