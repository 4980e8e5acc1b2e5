//! The HTTP face of Roadie: one axum router for discovery, ActivityPub documents, inboxes, the
//! JSON API and HTML pages. Handlers parse, call the domain or federation layer, and map errors
//! once through [`error::AppError`].

pub mod activitypub;
pub mod api;
pub mod authorized_fetch;
pub mod cache;
pub mod calendar;
pub mod error;
pub mod feeds;
pub mod health;
pub mod inbox;
pub mod media;
pub mod metrics;
pub mod negotiation;
pub mod oembed;
pub mod pages;
pub mod passes;
pub mod rate_limit;
pub mod suspension;
pub mod tour;
pub mod web;
pub mod wellknown;

use axum::{
    extract::DefaultBodyLimit,
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use tower_http::trace::TraceLayer;

use crate::AppState;

/// The whole application as a router, ready to serve or to call in-process.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    // Documents of artists and their objects: signed requests only, under authorized fetch.
    let documents = Router::new()
        .route("/users/{username}", get(activitypub::actor))
        .route("/{handle}", get(profile_shortcut))
        .route("/users/{username}/outbox", get(activitypub::outbox))
        .route("/users/{username}/followers", get(activitypub::followers))
        .route("/users/{username}/following", get(activitypub::following))
        .route(
            "/users/{username}/collections/featured",
            get(activitypub::featured),
        )
        .route("/users/{username}/posts/{id}", get(activitypub::post))
        .route(
            "/users/{username}/posts/{id}/activity",
            get(activitypub::post_activity),
        )
        .route("/users/{username}/shows/{id}", get(activitypub::show))
        .route(
            "/users/{username}/upcoming_events",
            get(activitypub::upcoming_events),
        )
        .route("/users/{username}/releases/{id}", get(activitypub::release))
        .route(
            "/users/{username}/releases/{id}/activity",
            get(activitypub::release_activity),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authorized_fetch::require_signature,
        ));
    Router::new()
        .route("/.well-known/webfinger", get(wellknown::webfinger))
        .route("/.well-known/host-meta", get(wellknown::host_meta))
        .route("/.well-known/nodeinfo", get(wellknown::nodeinfo_links))
        .route("/nodeinfo/{version}", get(wellknown::nodeinfo))
        .route("/", get(pages::home))
        .route("/actor", get(activitypub::instance_actor))
        .route("/actor/outbox", get(activitypub::instance_outbox))
        .route("/metrics", get(metrics::metrics))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        .route("/feed.atom", get(feeds::instance_feed))
        .route("/shows.ics", get(calendar::instance_calendar))
        .route(
            "/users/{username}/shows/{id}/calendar.ics",
            get(calendar::show_calendar),
        )
        .route("/{handle}/shows.ics", get(calendar::artist_calendar))
        .route("/{handle}/shows", get(tour::tour))
        .route("/{handle}/alerts", post(tour::request_alerts))
        .route("/{handle}/feed.atom", get(feeds::artist_feed))
        .route("/{handle}/follow", get(pages::remote_follow))
        .route("/api/oembed", get(oembed::oembed))
        .route("/share/{kind}/{id}", get(passes::share))
        .route("/embed/users/{username}/releases/{id}", get(pages::embed))
        .route("/media/{file_name}", get(media::serve))
        .route("/inbox", post(inbox::shared_inbox))
        .route("/users/{username}/inbox", post(inbox::artist_inbox))
        .merge(documents)
        .merge(api::router())
        .merge(web::router(&state))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            suspension::gone_if_suspended,
        ))
        .layer(axum::middleware::from_fn(cache::count_writes))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(rate_limit::RateLimits::new(&state.config)),
            rate_limit::limit,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `/@username` is the profile page; any other single segment is unknown.
async fn profile_shortcut(
    state: axum::extract::State<AppState>,
    axum::extract::Path(handle): axum::extract::Path<String>,
    headers: axum::http::HeaderMap,
    unsigned: Option<axum::Extension<authorized_fetch::UnsignedActorFetch>>,
) -> Result<axum::response::Response, error::AppError> {
    match handle.strip_prefix('@') {
        Some(username) => {
            activitypub::actor(
                state,
                axum::extract::Path(username.to_owned()),
                headers,
                unsigned,
            )
            .await
        }
        None => Err(error::AppError::not_found("page")),
    }
}

async fn not_found() -> impl IntoResponse {
    error::AppError::not_found("page")
}

/// Serves until SIGINT or SIGTERM, then stops accepting connections and lets the requests under
/// way finish, for at most `Limits::shutdown_grace`.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    let grace = state.config.limits.shutdown_grace;
    let (signalled_tx, mut signalled) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled_tx.send(true);
    });
    let deadline = async move {
        if signalled.wait_for(|s| *s).await.is_err() {
            // The server ended without a signal: nothing to time out.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = std::future::IntoFuture::into_future(server) => result,
        _ = deadline => {
            tracing::warn!(grace_secs = grace.as_secs(), "requests still open after the shutdown grace period; closing them");
            Ok(())
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
