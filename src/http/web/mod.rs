//! The web interface for artists and admins: server-rendered askama pages under `/login`,
//! `/account`, `/dashboard` and `/admin`. Every form works without JavaScript; a little JS
//! (`/static/web.js`) adds upload progress, the Markdown preview and city autocomplete.
//!
//! Handlers call the same domain services as the JSON API. Authentication is a session cookie
//! (`roadie_session`, HttpOnly, SameSite=Lax, Secure over https); every POST carries the
//! session's CSRF token (forms before log-in: a double-submit cookie), checked by the
//! [`CsrfForm`] and [`CsrfMultipart`] extractors, which are the only ways handlers read forms.

pub mod account;
pub mod admin;
mod assets;
pub mod dashboard;
pub mod fans;
mod forms;
pub mod instance;
mod limiter;
pub mod moderation;
pub mod releases;
pub mod shows;

use std::sync::Arc;

use askama::Template;
use axum::{
    extract::{FromRequest, FromRequestParts, Request},
    handler::Handler,
    http::{header, request::Parts, HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Extension, Router,
};
use serde::de::DeserializeOwned;

pub use forms::{CsrfMultipart, FormErrors, MultipartFields};
pub use limiter::LoginLimiter;

use super::error::AppError;
use crate::{
    config::Protocol,
    db::users::{SessionRow, UserRow},
    domain::{accounts, DomainError},
    AppState,
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "roadie_session";
/// Name of the double-submit cookie protecting forms shown before log-in.
pub const CSRF_COOKIE: &str = "roadie_csrf";

/// Routes of the web interface.
pub fn router(state: &AppState) -> Router<AppState> {
    let limiter = Arc::new(LoginLimiter::new(
        state.config.limits.login_max_failures,
        state.config.limits.login_window,
    ));
    // Upload forms count their bytes against the media limits themselves.
    let uploads = axum::extract::DefaultBodyLimit::disable();
    Router::new()
        .route("/static/web.css", get(assets::css))
        .route("/static/web.js", get(assets::js))
        .route("/login", get(account::login_page).post(account::login))
        .route("/logout", post(account::logout))
        .route("/join/{token}", get(account::join_page).post(account::join))
        .route("/account", get(account::account_page))
        .route("/account/password", post(account::change_password))
        .route("/dashboard", get(dashboard::home))
        .route("/dashboard/cities", get(shows::cities))
        .route(
            "/dashboard/{artist}",
            get(dashboard::overview).post(dashboard::create_post),
        )
        .route(
            "/dashboard/{artist}/profile",
            get(dashboard::profile_page).post(dashboard::update_profile),
        )
        .route("/dashboard/{artist}/followers", get(dashboard::followers))
        .route(
            "/dashboard/{artist}/followers/{id}/{answer}",
            post(dashboard::answer_follow),
        )
        .route(
            "/dashboard/{artist}/tokens",
            get(dashboard::tokens).post(dashboard::create_token),
        )
        .route(
            "/dashboard/{artist}/tokens/{id}/revoke",
            post(dashboard::revoke_token),
        )
        .route("/dashboard/{artist}/releases", get(releases::list))
        .route(
            "/dashboard/{artist}/releases/new",
            get(releases::new_page).post(releases::create.layer(uploads)),
        )
        .route(
            "/dashboard/{artist}/releases/{id}",
            get(releases::edit_page).post(releases::update.layer(uploads)),
        )
        .route(
            "/dashboard/{artist}/releases/{id}/publish",
            post(releases::publish),
        )
        .route(
            "/dashboard/{artist}/releases/{id}/delete",
            post(releases::delete),
        )
        .route("/dashboard/{artist}/shows", get(shows::list))
        .route(
            "/dashboard/{artist}/shows/new",
            get(shows::new_page).post(shows::create),
        )
        .route(
            "/dashboard/{artist}/shows/{id}",
            get(shows::edit_page).post(shows::update),
        )
        .route("/dashboard/{artist}/shows/{id}/cancel", post(shows::cancel))
        .route("/dashboard/{artist}/shows/{id}/delete", post(shows::delete))
        .route(
            "/dashboard/{artist}/profile/images",
            post(dashboard::update_images.layer(uploads)),
        )
        .route(
            "/dashboard/{artist}/releases/{id}/tracks",
            post(releases::reorder_tracks),
        )
        .route("/dashboard/{artist}/interactions", get(fans::interactions))
        .route(
            "/dashboard/{artist}/replies/{id}/answer",
            post(fans::answer_reply),
        )
        .route(
            "/dashboard/{artist}/replies/{id}/{action}",
            post(fans::moderate_reply),
        )
        .route("/dashboard/{artist}/leaderboard", get(fans::leaderboard))
        .route("/dashboard/{artist}/alerts", get(fans::alerts))
        .route("/admin", get(admin::overview))
        .route("/admin/artists", post(admin::create_artist))
        .route("/admin/invites", post(admin::invite))
        .route("/admin/roles", post(admin::assign_role))
        .route("/admin/users/{id}/suspend", post(moderation::suspend_user))
        .route(
            "/admin/users/{id}/unsuspend",
            post(moderation::unsuspend_user),
        )
        .route(
            "/admin/artists/{username}/suspend",
            post(moderation::suspend),
        )
        .route(
            "/admin/artists/{username}/unsuspend",
            post(moderation::unsuspend),
        )
        .route("/admin/instance", get(instance::page).post(instance::save))
        .route(
            "/admin/blocks",
            get(moderation::blocks).post(moderation::add_block),
        )
        .route("/admin/blocks/export.csv", get(moderation::export_blocks))
        .route("/admin/blocks/import", post(moderation::import_blocks))
        .route(
            "/admin/blocks/{id}",
            get(moderation::edit_block).post(moderation::update_block),
        )
        .route("/admin/blocks/{id}/delete", post(moderation::remove_block))
        .route("/admin/reports", get(moderation::reports))
        .route(
            "/admin/reports/{id}/resolve",
            post(moderation::resolve_report),
        )
        .route("/admin/audit", get(moderation::audit))
        .route("/admin/federation", get(admin::federation))
        .route(
            "/admin/federation/hosts/{host}/retry",
            post(admin::retry_host),
        )
        .layer(Extension(limiter))
}

/// The logged-in user of a request.
pub struct Authed {
    pub user: UserRow,
    pub session: SessionRow,
}

impl Authed {
    /// What every page shows around its content.
    pub fn chrome(&self) -> Chrome {
        Chrome {
            user: self.user.username.clone(),
            is_admin: self.user.is_admin,
            csrf: self.session.csrf_token.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
            if let Some((session, user)) = accounts::session(&state.db, &token).await? {
                return Ok(Authed { user, session });
            }
        }
        Err(WebError::Login(
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
        ))
    }
}

/// Header and navigation data every signed-in page shows.
pub struct Chrome {
    pub user: String,
    pub is_admin: bool,
    /// The session's CSRF token, for the log-out form.
    pub csrf: String,
}

impl Chrome {
    /// For pages shown before log-in.
    pub fn anonymous(csrf: String) -> Chrome {
        Chrome {
            user: String::new(),
            is_admin: false,
            csrf,
        }
    }
}

/// A url-encoded form of a signed-in user, whose `csrf` field matched the session's token.
pub struct CsrfForm<T>(pub Authed, pub T);

#[derive(serde::Deserialize, Default)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// Compares two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty()
        && a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn csrf_refused() -> WebError {
    WebError::App(AppError::Forbidden(
        "This form was missing its security token or the token was out of date. Go back, \
         reload the page and send it again."
            .to_owned(),
    ))
}

/// Reads a url-encoded body; the CSRF token is compared by `check` before the form is parsed.
async fn read_form<T: DeserializeOwned>(
    body: axum::body::Body,
    state: &AppState,
    check: impl FnOnce(&str) -> bool,
) -> Result<T, WebError> {
    let bytes = axum::body::to_bytes(body, state.config.limits.max_body_bytes)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let token: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    if !check(&token.csrf) {
        return Err(csrf_refused());
    }
    Ok(serde_urlencoded::from_bytes(&bytes)
        .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))?)
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = req.into_parts();
        let authed = Authed::from_request_parts(&mut parts, state).await?;
        let expected = authed.session.csrf_token.clone();
        let form = read_form(body, state, |t| same_token(t, &expected)).await?;
        Ok(CsrfForm(authed, form))
    }
}

/// A url-encoded form sent before log-in (log-in, set-up, invite), protected by the
/// double-submit cookie [`CSRF_COOKIE`].
pub struct AnonForm<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for AnonForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, WebError> {
        let (parts, body) = req.into_parts();
        let expected = cookie(&parts.headers, CSRF_COOKIE).unwrap_or_default();
        let form = read_form(body, state, |t| same_token(t, &expected)).await?;
        Ok(AnonForm(form))
    }
}

/// The value of a cookie in the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when the instance is served over https.
/// `max_age` zero removes the cookie.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: u64) -> HeaderValue {
    let secure = if state.config.protocol == Protocol::Https {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The double-submit token of a pre-log-in form: the cookie's, or a new one to set.
pub fn anon_csrf(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie(headers, CSRF_COOKIE) {
        Some(t) => (t, None),
        None => {
            let t = accounts::random_token();
            let c = set_cookie(state, CSRF_COOKIE, &t, 86400);
            (t, Some(c))
        }
    }
}

/// Renders a template to a 200 page.
pub fn render<T: Template>(page: &T) -> Result<Response, WebError> {
    render_status(StatusCode::OK, page)
}

/// Renders a template with a status (e.g. 422 for a form shown again with errors).
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Result<Response, WebError> {
    let html = page
        .render()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("template: {e}")))?;
    Ok((status, Html(html)).into_response())
}

/// After a successful POST: go to `to` (303, so reloading does not send the form again).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Errors of the web interface: a page people can read, or the way to the log-in page.
#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the log-in page, then back to this path.
    Login(String),
    App(AppError),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        WebError::App(e)
    }
}

impl From<DomainError> for WebError {
    fn from(e: DomainError) -> Self {
        WebError::App(e.into())
    }
}

impl From<crate::db::DbError> for WebError {
    fn from(e: crate::db::DbError) -> Self {
        WebError::App(e.into())
    }
}

impl From<crate::media::MediaError> for WebError {
    fn from(e: crate::media::MediaError) -> Self {
        WebError::App(e.into())
    }
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    title: String,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Login(next) => {
                let to = url::form_urlencoded::Serializer::new(String::from("/login?"))
                    .append_pair("next", &next)
                    .finish();
                Redirect::to(&to).into_response()
            }
            WebError::App(e) => {
                let status = e.status();
                let message = match &e {
                    AppError::Internal(inner) => {
                        tracing::error!(error = ?inner, "internal error");
                        "Something went wrong on our side. Please try again.".to_owned()
                    }
                    other => other.to_string(),
                };
                let title = match status {
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
                    s if s.is_server_error() => "Server error",
                    _ => "That did not work",
                }
                .to_owned();
                let page = ErrorPage { title, message };
                match page.render() {
                    Ok(html) => (status, Html(html)).into_response(),
                    Err(_) => status.into_response(),
                }
            }
        }
    }
}
