//! The JSON API for artists (`/api/v1/…`), authenticated with bearer tokens and described by an
//! OpenAPI document generated from these handlers (`/api/openapi.json`).

pub mod admin;
pub mod auth;
pub mod follow_requests;
pub mod json;
pub mod media;
pub mod posts;
pub mod profile;
pub mod releases;
pub mod replies;
pub mod shows;

use axum::{
    extract::DefaultBodyLimit,
    routing::{get, post},
    Json, Router,
};
use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Roadie API", description = "The API artists (and their tools) use to publish on Roadie."),
    paths(
        posts::create_post,
        posts::get_post,
        posts::delete_post,
        follow_requests::list,
        follow_requests::authorize,
        follow_requests::reject,
        profile::get_profile,
        profile::update_profile,
        media::upload,
        media::get_media,
        media::update_media,
        media::delete_media,
        releases::create_release,
        releases::list_releases,
        releases::get_release,
        releases::update_release,
        releases::publish_release,
        releases::reorder_tracks,
        releases::delete_release,
        super::passes::ledger,
        super::passes::per_object,
        replies::list,
        replies::hide,
        replies::unhide,
        replies::remove,
        replies::answer,
        shows::create_show,
        shows::list_shows,
        shows::get_show,
        shows::update_show,
        shows::delete_show,
        shows::pin_show,
        shows::unpin_show,
        shows::alert_counts,
    ),
    components(schemas(super::error::ErrorBody)),
    modifiers(&BearerAuth),
    tags((name = "posts"), (name = "followers"), (name = "profile"), (name = "media"), (name = "releases"), (name = "passes"), (name = "replies"), (name = "shows"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /api/openapi.json`
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .merge(admin::router())
        .route("/api/v1/posts", post(posts::create_post))
        .route(
            "/api/v1/posts/{id}",
            get(posts::get_post).delete(posts::delete_post),
        )
        .route("/api/v1/follow_requests", get(follow_requests::list))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(follow_requests::authorize),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            post(follow_requests::reject),
        )
        .route(
            "/api/v1/profile",
            get(profile::get_profile).patch(profile::update_profile),
        )
        // Uploads count their own bytes against the media limits (see `media::upload`).
        .route(
            "/api/v1/media",
            post(media::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/v1/media/{id}",
            get(media::get_media)
                .put(media::update_media)
                .delete(media::delete_media),
        )
        .route(
            "/api/v1/releases",
            post(releases::create_release).get(releases::list_releases),
        )
        .route(
            "/api/v1/releases/{id}",
            get(releases::get_release)
                .put(releases::update_release)
                .delete(releases::delete_release),
        )
        .route("/api/v1/passes", get(super::passes::ledger))
        .route("/api/v1/passes/objects", get(super::passes::per_object))
        .route("/api/v1/replies", get(replies::list))
        .route(
            "/api/v1/shows",
            post(shows::create_show).get(shows::list_shows),
        )
        .route("/api/v1/alerts", get(shows::alert_counts))
        .route("/api/v1/shows/{id}/pin", post(shows::pin_show))
        .route("/api/v1/shows/{id}/unpin", post(shows::unpin_show))
        .route(
            "/api/v1/shows/{id}",
            get(shows::get_show)
                .put(shows::update_show)
                .delete(shows::delete_show),
        )
        .route(
            "/api/v1/replies/{id}",
            axum::routing::delete(replies::remove),
        )
        .route("/api/v1/replies/{id}/hide", post(replies::hide))
        .route("/api/v1/replies/{id}/unhide", post(replies::unhide))
        .route("/api/v1/replies/{id}/answer", post(replies::answer))
        .route(
            "/api/v1/releases/{id}/publish",
            post(releases::publish_release),
        )
        .route(
            "/api/v1/releases/{id}/tracks/order",
            post(releases::reorder_tracks),
        )
}
