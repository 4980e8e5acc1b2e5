//! Log-in, log-out, the set-up and invite links, and the account page (password).

use std::{net::SocketAddr, sync::Arc};

use askama::Template;
use axum::{
    extract::{ConnectInfo, Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Extension,
};
use serde::Deserialize;

use super::{
    anon_csrf, render, render_status, see_other, set_cookie, AnonForm, Authed, Chrome, CsrfForm,
    FormErrors, LoginLimiter, WebError, SESSION_COOKIE,
};
use crate::{domain::accounts, domain::DomainError, AppState};

#[derive(Template)]
#[template(path = "web/login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only a local path is a place to go after log-in.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next.to_owned()
    } else {
        "/dashboard".to_owned()
    }
}

fn with_cookie(mut response: Response, cookie: Option<axum::http::HeaderValue>) -> Response {
    if let Some(c) = cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

/// `GET /login`
pub async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, WebError> {
    let (csrf, cookie) = anon_csrf(&state, &headers);
    let page = LoginPage {
        chrome: Chrome::anonymous(csrf),
        username: String::new(),
        next: safe_next(&q.next),
        errors: FormErrors::default(),
    };
    Ok(with_cookie(render(&page)?, cookie))
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    csrf: String,
}

/// The client's address as the socket saw it (a proxy's, behind one).
fn client_address(connect: Option<&ConnectInfo<SocketAddr>>) -> String {
    connect
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// `POST /login`
pub async fn login(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<LoginLimiter>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    AnonForm(form): AnonForm<LoginForm>,
) -> Result<Response, WebError> {
    let address = client_address(connect.as_ref().map(|e| &e.0));
    let mut errors = FormErrors::default();
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    if !limiter.allowed(&state.db, &address, &form.username).await? {
        status = StatusCode::TOO_MANY_REQUESTS;
        errors.add(
            "form",
            "Too many failed attempts for this name. Wait a few minutes and try again.",
        );
    } else {
        match accounts::authenticate(&state.db, &form.username, &form.password).await? {
            Some(user) if user.suspended_at.is_some() => {
                status = StatusCode::FORBIDDEN;
                errors.add(
                    "form",
                    "This account is suspended. Ask the instance's admin.",
                );
            }
            Some(user) => {
                limiter
                    .succeeded(&state.db, &address, &form.username)
                    .await?;
                let token =
                    accounts::start_session(&state.db, &user, state.config.limits.session_lifetime)
                        .await?;
                let cookie = set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &token,
                    state.config.limits.session_lifetime.as_secs(),
                );
                return Ok(with_cookie(see_other(&safe_next(&form.next)), Some(cookie)));
            }
            None => {
                limiter.failed(&state.db, &address, &form.username).await?;
                errors.add("password", "That user name and password do not match.");
            }
        }
    }
    let page = LoginPage {
        chrome: Chrome::anonymous(form.csrf),
        username: form.username,
        next: safe_next(&form.next),
        errors,
    };
    render_status(status, &page)
}

#[derive(Deserialize)]
pub struct Empty {}

/// `POST /logout`
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_, _): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    if let Some(token) = super::cookie(&headers, SESSION_COOKIE) {
        accounts::end_session(&state.db, &token).await?;
    }
    let cookie = set_cookie(&state, SESSION_COOKIE, "", 0);
    Ok(with_cookie(see_other("/login"), Some(cookie)))
}

#[derive(Template)]
#[template(path = "web/join.html")]
struct JoinPage {
    chrome: Chrome,
    /// The first admin is being created.
    setup: bool,
    artist: String,
    role: String,
    username: String,
    errors: FormErrors,
}

async fn invite_page_data(
    state: &AppState,
    token: &str,
) -> Result<(bool, String, String), WebError> {
    let invite = accounts::open_invite(&state.db, token).await?;
    let artist = match invite.artist_id {
        Some(id) => crate::db::artists::by_id(&state.db, id)
            .await?
            .map(|a| a.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    Ok((invite.is_admin, artist, invite.role.unwrap_or_default()))
}

/// `GET /join/{token}`: the set-up link or an invite.
pub async fn join_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let (setup, artist, role) = invite_page_data(&state, &token).await?;
    let (csrf, cookie) = anon_csrf(&state, &headers);
    let page = JoinPage {
        chrome: Chrome::anonymous(csrf),
        setup,
        artist,
        role,
        username: String::new(),
        errors: FormErrors::default(),
    };
    Ok(with_cookie(render(&page)?, cookie))
}

#[derive(Deserialize)]
pub struct JoinForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    csrf: String,
}

/// `POST /join/{token}`: creates the account and signs it in.
pub async fn join(
    State(state): State<AppState>,
    Path(token): Path<String>,
    AnonForm(form): AnonForm<JoinForm>,
) -> Result<Response, WebError> {
    let (setup, artist, role) = invite_page_data(&state, &token).await?;
    let mut errors = FormErrors::default();
    if form.password != form.password_again {
        errors.add("password_again", "The two passwords are not the same.");
    } else {
        match accounts::accept_invite(&state.db, &token, &form.username, &form.password).await {
            Ok(user) => {
                let session =
                    accounts::start_session(&state.db, &user, state.config.limits.session_lifetime)
                        .await?;
                let cookie = set_cookie(
                    &state,
                    SESSION_COOKIE,
                    &session,
                    state.config.limits.session_lifetime.as_secs(),
                );
                let to = if user.is_admin {
                    "/admin"
                } else {
                    "/dashboard"
                };
                return Ok(with_cookie(see_other(to), Some(cookie)));
            }
            Err(e @ (DomainError::Invalid(_) | DomainError::Conflict(_))) => {
                errors.domain(e, &[("username", "user name"), ("password", "password")])?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    let page = JoinPage {
        chrome: Chrome::anonymous(form.csrf),
        setup,
        artist,
        role,
        username: form.username,
        errors,
    };
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Template)]
#[template(path = "web/account.html")]
struct AccountPage {
    chrome: Chrome,
    done: bool,
    errors: FormErrors,
}

#[derive(Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// `GET /account`
pub async fn account_page(
    authed: Authed,
    Query(q): Query<DoneQuery>,
) -> Result<Response, WebError> {
    render(&AccountPage {
        chrome: authed.chrome(),
        done: q.done.is_some(),
        errors: FormErrors::default(),
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    new_again: String,
}

/// `POST /account/password`
pub async fn change_password(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let mut errors = FormErrors::default();
    if form.new != form.new_again {
        errors.add("new_again", "The two new passwords are not the same.");
    } else {
        match accounts::change_password(
            &state.db,
            &authed.user,
            &authed.session,
            &form.current,
            &form.new,
        )
        .await
        {
            Ok(()) => return Ok(see_other("/account?done=1")),
            Err(e) => errors.domain(e, &[("current", "current"), ("new", "password")])?,
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &AccountPage {
            chrome: authed.chrome(),
            done: false,
            errors,
        },
    )
    .map(IntoResponse::into_response)
}
