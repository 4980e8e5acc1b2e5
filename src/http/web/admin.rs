//! Admin screens: users, artists, invites and roles; federation status (queue and failing
//! hosts, with "retry now"). Admins only; everyone else gets 403. Instance settings are in
//! [`super::instance`], moderation (suspension, blocks, reports, audit log) in
//! [`super::moderation`].

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{render, render_status, see_other, Authed, Chrome, CsrfForm, FormErrors, WebError};
use crate::{
    db,
    domain::{self, accounts::Role, DomainError},
    http::error::AppError,
    AppState,
};

/// Refuses (403) everyone but the instance's admins.
pub(super) fn require_admin(authed: &Authed) -> Result<(), WebError> {
    if authed.user.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden("This page is for the instance's admins.".to_owned()).into())
    }
}

/// How an admin acting through the web interface is named in the audit log.
pub(super) fn who(authed: &Authed) -> String {
    format!("user:{}", authed.user.username)
}

struct ArtistItem {
    username: String,
    name: String,
    /// When the artist was suspended (`YYYY-MM-DD`), empty if they are not.
    suspended_since: String,
}

struct UserItem {
    id: i64,
    username: String,
    is_admin: bool,
    roles: String,
    /// The day the account was suspended, or empty.
    suspended_since: String,
}

/// What the admin screen's forms hold, kept when one comes back with errors.
#[derive(Default)]
struct Typed {
    artist_username: String,
    artist_name: String,
    owner: String,
}

#[derive(Template)]
#[template(path = "web/admin.html")]
struct AdminPage {
    chrome: Chrome,
    users: Vec<UserItem>,
    artists: Vec<ArtistItem>,
    /// An invite link just made, shown once.
    invite_link: String,
    typed: Typed,
    errors: FormErrors,
}

async fn admin_page(
    state: &AppState,
    authed: &Authed,
    invite_link: String,
    typed: Typed,
    errors: FormErrors,
) -> Result<AdminPage, WebError> {
    let roles = db::users::all_roles(&state.db).await?;
    let users = db::users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| UserItem {
            roles: roles
                .iter()
                .filter(|(id, _, _)| *id == u.id)
                .map(|(_, artist, role)| format!("{role} of @{artist}"))
                .collect::<Vec<_>>()
                .join(", "),
            id: u.id,
            suspended_since: u
                .suspended_at
                .map(|at| at.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            username: u.username,
            is_admin: u.is_admin,
        })
        .collect();
    let suspended = db::moderation::suspended_artists(&state.db).await?;
    let artists = db::artists::list(&state.db, 1000)
        .await?
        .into_iter()
        .map(|a| ArtistItem {
            suspended_since: suspended
                .iter()
                .find(|(id, _)| *id == a.id)
                .map(|(_, at)| at.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            username: a.username,
            name: a.display_name,
        })
        .collect();
    Ok(AdminPage {
        chrome: authed.chrome(),
        users,
        artists,
        invite_link,
        typed,
        errors,
    })
}

/// `GET /admin`
pub async fn overview(State(state): State<AppState>, authed: Authed) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let page = admin_page(
        &state,
        &authed,
        String::new(),
        Typed::default(),
        FormErrors::default(),
    )
    .await?;
    render(&page)
}

#[derive(Deserialize)]
pub struct ArtistForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    name: String,
    /// A user who becomes its owner (optional).
    #[serde(default)]
    owner: String,
}

/// `POST /admin/artists`: creates an artist (as `roadie admin artist create`).
pub async fn create_artist(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<ArtistForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let mut errors = FormErrors::default();
    let owner = match form.owner.trim() {
        "" => None,
        name => match db::users::by_username(&state.db, name).await? {
            Some(u) => Some(u),
            None => {
                errors.add("owner", "There is no user of that name.");
                None
            }
        },
    };
    if errors.is_empty() {
        let created = match domain::artists::Username::parse(form.username.trim()) {
            Ok(username) => domain::artists::create(&state.db, &username, &form.name).await,
            Err(e) => Err(e),
        };
        match created {
            Ok(artist) => {
                if let Some(owner) = owner {
                    domain::accounts::assign_role(
                        &state.db,
                        &authed.user,
                        owner.id,
                        &artist,
                        Some(Role::Owner),
                    )
                    .await?;
                }
                return Ok(see_other(&format!("/dashboard/{}", artist.username)));
            }
            Err(e) => errors.domain(
                e,
                &[
                    ("artist_username", "username"),
                    ("artist_username", "artist"),
                    ("artist_name", "display name"),
                ],
            )?,
        }
    }
    let typed = Typed {
        artist_username: form.username,
        artist_name: form.name,
        owner: form.owner,
    };
    let page = admin_page(&state, &authed, String::new(), typed, errors).await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Deserialize)]
pub struct InviteForm {
    /// Optional artist the new user gets a role on.
    #[serde(default)]
    artist: String,
    #[serde(default)]
    role: String,
}

/// `POST /admin/invites`: makes an invite link, shown once.
pub async fn invite(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<InviteForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let artist = match form.artist.trim() {
        "" => None,
        name => Some(
            db::artists::by_username(&state.db, name)
                .await?
                .ok_or(DomainError::NotFound("artist"))?,
        ),
    };
    let role = Role::parse(&form.role).unwrap_or(Role::Editor);
    let mut errors = FormErrors::default();
    let link =
        match domain::accounts::invite(&state.db, &authed.user, artist.as_ref().map(|a| (a, role)))
            .await
        {
            Ok(token) => state.urls.join(&token).to_string(),
            // Registrations are closed: said next to the invite form.
            Err(e) => {
                errors.domain(e, &[("invite", "registrations")])?;
                String::new()
            }
        };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = admin_page(&state, &authed, link, Typed::default(), errors).await?;
    let mut response = render_status(status, &page)?;
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    user_id: i64,
    #[serde(default)]
    artist: String,
    /// `owner`, `editor` or `none`.
    #[serde(default)]
    role: String,
}

/// `POST /admin/roles`: gives a user a role on an artist, or takes it away.
pub async fn assign_role(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<RoleForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let artist = db::artists::by_username(&state.db, form.artist.trim())
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    domain::accounts::assign_role(
        &state.db,
        &authed.user,
        form.user_id,
        &artist,
        Role::parse(&form.role),
    )
    .await?;
    Ok(see_other("/admin"))
}

struct HostItem {
    host: String,
    state: String,
    failure_days: i32,
    last_error: String,
}

#[derive(Template)]
#[template(path = "web/federation.html")]
struct FederationPage {
    chrome: Chrome,
    stats: db::deliveries::QueueStats,
    hosts: Vec<HostItem>,
}

/// `GET /admin/federation`: the delivery queue and failing hosts (as `roadie admin queue` and
/// `roadie admin host list`).
pub async fn federation(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let stats = db::deliveries::stats(&state.db, db::now()).await?;
    let hosts = db::hosts::with_failures(&state.db)
        .await?
        .into_iter()
        .map(|h| HostItem {
            state: match h.unavailable_since {
                Some(since) => format!("unavailable since {}", since.format("%Y-%m-%d")),
                None => "failing".to_owned(),
            },
            host: h.host,
            failure_days: h.failure_days,
            last_error: h.last_error.unwrap_or_default(),
        })
        .collect();
    render(&FederationPage {
        chrome: authed.chrome(),
        stats,
        hosts,
    })
}

/// `POST /admin/federation/hosts/{host}/retry`: clears the host's failures so deliveries to
/// it resume now (as `roadie admin host reset`).
pub async fn retry_host(
    State(state): State<AppState>,
    Path(host): Path<String>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    db::hosts::mark_available(&state.db, &host).await?;
    db::deliveries::retry_host_now(&state.db, &host).await?;
    state.publisher.queued();
    Ok(see_other("/admin/federation"))
}
