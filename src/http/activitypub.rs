//! ActivityPub documents of local objects: actors, their collections, and posts. Each URL that
//! people may open too serves HTML unless the client asks for ActivityPub JSON.

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::Value;

use super::{
    authorized_fetch,
    cache::{self, Document},
    error::AppError,
    negotiation::{activity_json, activity_json_bytes, activity_json_ok, wants_activitypub},
    pages, passes,
};
use crate::{
    db::{self, artists::Artist, interactions::ObjectKey},
    federation::{
        objects,
        protocol::collections::{OrderedCollection, OrderedCollectionPage},
    },
    AppState,
};

/// Items per outbox page.
const OUTBOX_PAGE_SIZE: i64 = 20;

async fn artist(state: &AppState, username: &str) -> Result<Artist, AppError> {
    db::artists::by_username(&state.db, username)
        .await?
        .ok_or_else(|| AppError::not_found("artist"))
}

/// `GET /users/{username}` and `GET /@{username}`
pub async fn actor(
    State(state): State<AppState>,
    Path(username): Path<String>,
    headers: HeaderMap,
    unsigned: Option<axum::Extension<authorized_fetch::UnsignedActorFetch>>,
) -> Result<Response, AppError> {
    let username = username.strip_prefix('@').unwrap_or(&username);
    if !wants_activitypub(&headers) {
        // The most visited page: served from the cache while nothing it shows changed.
        if let Some(html) = state.pages.get(username) {
            return Ok(Html(html).into_response());
        }
        let changes = cache::page_changes();
        let artist = artist(&state, username).await?;
        let html = pages::profile(&state, &artist).await?;
        state.pages.put(username, changes, html.clone());
        return Ok(Html(html).into_response());
    }
    if unsigned.is_some() {
        let artist = artist(&state, username).await?;
        let actor = objects::artist_actor(&artist, &state.urls);
        return Ok(activity_json(StatusCode::OK, limited_actor(&actor)));
    }
    // The most fetched document of all: served from the cache while the artist is unchanged.
    if let Some(body) = state.documents.get(Document::Actor, username) {
        return Ok(activity_json_ok(body));
    }
    let changes = db::artists::changes();
    let artist = artist(&state, username).await?;
    let body = activity_json_bytes(objects::artist_actor(&artist, &state.urls))
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .documents
        .put(Document::Actor, username, changes, body.clone());
    Ok(activity_json_ok(body))
}

/// The fields of an actor that an unsigned request gets under authorized fetch (Mastodon's
/// secure mode serves the same ones): enough to verify signatures and deliver, nothing more.
fn limited_actor(actor: &impl serde::Serialize) -> Value {
    const KEPT: [&str; 7] = [
        "id",
        "type",
        "preferredUsername",
        "inbox",
        "outbox",
        "publicKey",
        "endpoints",
    ];
    let mut value = serde_json::to_value(actor).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.retain(|k, _| KEPT.contains(&k.as_str()));
    }
    value
}

/// `GET /actor`: the instance actor.
pub async fn instance_actor(State(state): State<AppState>) -> Response {
    activity_json(
        StatusCode::OK,
        objects::instance_actor(
            &state.urls,
            &state.config.domain,
            &state.instance_public_key,
        ),
    )
}

/// `GET /actor/outbox`: the instance actor publishes nothing.
pub async fn instance_outbox(State(state): State<AppState>) -> Response {
    empty_collection(state.urls.instance_outbox())
}

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<bool>,
    max_id: Option<i64>,
}

/// `GET /users/{username}/outbox`: the collection, or one page of it with `?page=true`.
pub async fn outbox(
    State(state): State<AppState>,
    Path(username): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let id = state.urls.outbox(&artist.username);
    if q.page != Some(true) {
        let total = db::activities::count_listed(&state.db, artist.id).await?;
        let mut first = id.clone();
        first.set_query(Some("page=true"));
        return Ok(activity_json(
            StatusCode::OK,
            OrderedCollection::<Value> {
                kind: "OrderedCollection",
                id,
                total_items: total,
                first: Some(first),
                ordered_items: None,
            },
        ));
    }
    let rows =
        db::activities::listed_page(&state.db, artist.id, q.max_id, OUTBOX_PAGE_SIZE).await?;
    let next = (rows.len() as i64 == OUTBOX_PAGE_SIZE)
        .then(|| rows.last().map(|(row_id, _)| *row_id))
        .flatten()
        .map(|last| {
            let mut next = id.clone();
            next.set_query(Some(&format!("page=true&max_id={last}")));
            next
        });
    let items = rows
        .into_iter()
        .filter_map(|(_, payload)| serde_json::from_str::<Value>(&payload).ok())
        .map(|mut v| {
            // Items sit inside our document, which carries the context already.
            if let Some(o) = v.as_object_mut() {
                o.remove("@context");
            }
            v
        })
        .collect();
    let mut page_id = id.clone();
    page_id.set_query(Some(&match q.max_id {
        Some(m) => format!("page=true&max_id={m}"),
        None => "page=true".to_owned(),
    }));
    Ok(activity_json(
        StatusCode::OK,
        OrderedCollectionPage {
            kind: "OrderedCollectionPage",
            id: page_id,
            part_of: id,
            next,
            ordered_items: items,
        },
    ))
}

/// `GET /users/{username}/followers`: the count only; who follows an artist is not published.
pub async fn followers(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let total = db::follows::count_accepted(&state.db, artist.id).await?;
    Ok(activity_json(
        StatusCode::OK,
        OrderedCollection::<Value> {
            kind: "OrderedCollection",
            id: state.urls.followers(&artist.username),
            total_items: total,
            first: None,
            ordered_items: None,
        },
    ))
}

/// `GET /users/{username}/following`: artists on Roadie follow nobody (yet).
pub async fn following(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    Ok(empty_collection(state.urls.following(&artist.username)))
}

/// `GET /users/{username}/collections/featured`: the shows the artist pinned, by id, most
/// recently pinned first (Mastodon shows them as pinned posts).
pub async fn featured(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let shows = db::shows::pinned_of_artist(&state.db, artist.id).await?;
    let items: Vec<Value> = shows
        .iter()
        .map(|s| Value::String(state.urls.show(&artist.username, s.id).to_string()))
        .collect();
    Ok(activity_json(
        StatusCode::OK,
        OrderedCollection::<Value> {
            kind: "OrderedCollection",
            id: state.urls.featured(&artist.username),
            total_items: items.len() as i64,
            first: None,
            ordered_items: Some(items),
        },
    ))
}

/// `GET /users/{username}/upcoming_events` (FEP-8a8e): the artist's coming shows, soonest first,
/// by id.
pub async fn upcoming_events(
    State(state): State<AppState>,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let shows = db::shows::of_artist(&state.db, artist.id, Some(db::now()), 200).await?;
    let items: Vec<Value> = shows
        .iter()
        .map(|s| Value::String(state.urls.show(&artist.username, s.id).to_string()))
        .collect();
    Ok(activity_json(
        StatusCode::OK,
        OrderedCollection::<Value> {
            kind: "OrderedCollection",
            id: state.urls.upcoming_events(&artist.username),
            total_items: items.len() as i64,
            first: None,
            ordered_items: Some(items),
        },
    ))
}

fn empty_collection(id: url::Url) -> Response {
    activity_json(
        StatusCode::OK,
        OrderedCollection::<Value> {
            kind: "OrderedCollection",
            id,
            total_items: 0,
            first: None,
            ordered_items: Some(Vec::new()),
        },
    )
}

/// `GET /users/{username}/posts/{id}`: the `Note` (or its page); a deleted post is a
/// `Tombstone` with 410; followers-only posts are not served.
pub async fn post(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    uri: axum::http::Uri,
    peer: passes::Peer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let post = db::posts::by_id(&state.db, id)
        .await?
        .filter(|p| p.artist_id == artist.id && p.visibility != "followers")
        .ok_or_else(|| AppError::not_found("post"))?;
    let ap = wants_activitypub(&headers);
    match (post.deleted_at.is_some(), ap) {
        (true, true) => Ok(activity_json(
            StatusCode::GONE,
            objects::post_tombstone(&artist, &post, &state.urls),
        )),
        (true, false) => Ok(pages::gone().into_response()),
        (false, true) => Ok(activity_json(
            StatusCode::OK,
            objects::post_note(&artist, &post, &state.urls),
        )),
        (false, false) => {
            let key = ObjectKey {
                artist_id: artist.id,
                kind: "post",
                id: post.id,
            };
            passes::count_visit(&state, &uri, &headers, passes::peer_addr(&peer), key).await;
            pages::post(&state, &artist, &post).await
        }
    }
}

/// `GET /users/{username}/posts/{id}/activity`: the `Create` that published a post.
pub async fn post_activity(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let ap_id = state.urls.post_activity(&artist.username, id);
    let post = db::posts::by_id(&state.db, id)
        .await?
        .filter(|p| p.artist_id == artist.id && p.visibility != "followers")
        .ok_or_else(|| AppError::not_found("activity"))?;
    if post.deleted_at.is_some() {
        return Err(AppError::Gone("post was deleted".to_owned()));
    }
    let (payload, _) = db::activities::sent_payload(&state.db, ap_id.as_str())
        .await?
        .ok_or_else(|| AppError::not_found("activity"))?;
    Ok(super::negotiation::activity_json_raw(
        StatusCode::OK,
        payload,
    ))
}

/// A published release, not deleted, of this artist (drafts and scheduled ones are private).
async fn public_release(
    state: &AppState,
    username: &str,
    id: i64,
) -> Result<(Artist, db::releases::ReleaseRow), AppError> {
    let artist = artist(state, username).await?;
    let release = db::releases::by_id(&state.db, id)
        .await?
        .filter(|r| r.artist_id == artist.id && r.state == "published")
        .ok_or_else(|| AppError::not_found("release"))?;
    Ok((artist, release))
}

/// `GET /users/{username}/releases/{id}`: the release's `Note`, or its page; a deleted release
/// is a `Tombstone` with 410.
pub async fn release(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    uri: axum::http::Uri,
    peer: passes::Peer,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (artist, release) = public_release(&state, &username, id).await?;
    let ap = wants_activitypub(&headers);
    if release.deleted_at.is_some() {
        return Ok(if ap {
            activity_json(
                StatusCode::GONE,
                objects::release_tombstone(&artist, &release, &state.urls),
            )
        } else {
            pages::gone().into_response()
        });
    }
    let tracks = db::releases::tracks_of(&state.db, release.id).await?;
    let media = crate::domain::releases::media_of(&state.db, &release, &tracks).await?;
    if ap {
        Ok(activity_json(
            StatusCode::OK,
            objects::release_note(&artist, &release, &tracks, &media, &state.urls),
        ))
    } else {
        let key = ObjectKey {
            artist_id: artist.id,
            kind: "release",
            id: release.id,
        };
        passes::count_visit(&state, &uri, &headers, passes::peer_addr(&peer), key).await;
        pages::release(&state, &artist, &release, &tracks, &media).await
    }
}

/// `GET /users/{username}/releases/{id}/activity`: the `Create` that published a release.
pub async fn release_activity(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let (artist, release) = public_release(&state, &username, id).await?;
    if release.deleted_at.is_some() {
        return Err(AppError::Gone("release was deleted".to_owned()));
    }
    let ap_id = state.urls.release_activity(&artist.username, id);
    let (payload, _) = db::activities::sent_payload(&state.db, ap_id.as_str())
        .await?
        .ok_or_else(|| AppError::not_found("activity"))?;
    Ok(super::negotiation::activity_json_raw(
        StatusCode::OK,
        payload,
    ))
}

/// `GET /users/{username}/shows/{id}`: the show's `Event` (JSON), or for now a redirect-free
/// minimal page; a deleted show is a `Tombstone` with 410.
pub async fn show(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let artist = artist(&state, &username).await?;
    let show = db::shows::by_id(&state.db, id)
        .await?
        .filter(|s| s.artist_id == artist.id)
        .ok_or_else(|| AppError::not_found("show"))?;
    let ap = wants_activitypub(&headers);
    if show.deleted_at.is_some() {
        return Ok(if ap {
            activity_json(
                StatusCode::GONE,
                objects::show_tombstone(&artist, &show, &state.urls),
            )
        } else {
            pages::gone().into_response()
        });
    }
    let poster =
        crate::domain::shows::poster_of(&state.db, show.poster_media_id.as_deref()).await?;
    let event = objects::show_event(&artist, &show, poster.as_ref(), "", &state.urls);
    if ap {
        Ok(activity_json(StatusCode::OK, event))
    } else {
        pages::show(&state, &artist, &show, &event)
    }
}
