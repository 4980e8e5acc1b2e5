//! The artist dashboard: the list of one's artists, an artist's overview with posts, the
//! profile, followers (and pending requests) and API tokens.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    render, render_status, see_other, Authed, Chrome, CsrfForm, CsrfMultipart, FormErrors,
    MultipartFields, WebError,
};
use crate::{
    db::{self, artists::Artist},
    domain::{
        self,
        accounts::{self, Access, Role},
        artists::ProfileLink,
        posts::Visibility,
    },
    AppState,
};

/// The artist a dashboard page is about, for its header and section links.
pub struct ArtistNav {
    pub username: String,
    pub name: String,
    pub owner: bool,
    /// Which section is shown.
    pub section: &'static str,
}

impl ArtistNav {
    pub fn new(artist: &Artist, access: Access, section: &'static str) -> ArtistNav {
        ArtistNav {
            username: artist.username.clone(),
            name: artist.display_name.clone(),
            owner: access.role == Role::Owner,
            section,
        }
    }

    /// `/dashboard/{username}{rest}`
    pub fn path(&self, rest: &str) -> String {
        format!("/dashboard/{}{rest}", self.username)
    }
}

/// The artist named in the path, if the user has a role on it (else 404, as if absent).
pub async fn access(
    state: &AppState,
    authed: &Authed,
    username: &str,
) -> Result<(Artist, Access), WebError> {
    Ok(accounts::artist_access(&state.db, &authed.user, username).await?)
}

struct ArtistItem {
    username: String,
    name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "web/home.html")]
struct HomePage {
    chrome: Chrome,
    artists: Vec<ArtistItem>,
}

/// `GET /dashboard`: the artists this user works for.
pub async fn home(State(state): State<AppState>, authed: Authed) -> Result<Response, WebError> {
    let mut artists: Vec<ArtistItem> = db::users::artists_of(&state.db, authed.user.id)
        .await?
        .into_iter()
        .map(|(a, role)| ArtistItem {
            username: a.username,
            name: a.display_name,
            role,
        })
        .collect();
    if authed.user.is_admin {
        for a in db::artists::list(&state.db, 1000).await? {
            if !artists.iter().any(|i| i.username == a.username) {
                artists.push(ArtistItem {
                    username: a.username,
                    name: a.display_name,
                    role: "admin".to_owned(),
                });
            }
        }
    }
    render(&HomePage {
        chrome: authed.chrome(),
        artists,
    })
}

struct PostItem {
    url: String,
    html: String,
    when: String,
}

#[derive(Template)]
#[template(path = "web/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    nav: ArtistNav,
    public_url: String,
    followers: i64,
    pending: usize,
    posts: Vec<PostItem>,
    content: String,
    visibility: String,
    errors: FormErrors,
}

async fn overview_page(
    state: &AppState,
    authed: &Authed,
    artist: &Artist,
    access: Access,
    content: String,
    visibility: String,
    errors: FormErrors,
) -> Result<OverviewPage, WebError> {
    let posts = db::posts::recent_public(&state.db, artist.id, 20)
        .await?
        .into_iter()
        .map(|p| PostItem {
            url: state.urls.post(&artist.username, p.id).to_string(),
            when: p.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            html: p.content_html,
        })
        .collect();
    Ok(OverviewPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "overview"),
        public_url: state.urls.profile(&artist.username).to_string(),
        followers: db::follows::count_accepted(&state.db, artist.id).await?,
        pending: db::follows::pending(&state.db, artist.id).await?.len(),
        posts,
        content,
        visibility,
        errors,
    })
}

/// `GET /dashboard/{artist}`
pub async fn overview(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let page = overview_page(
        &state,
        &authed,
        &artist,
        access,
        String::new(),
        "public".to_owned(),
        FormErrors::default(),
    )
    .await?;
    render(&page)
}

#[derive(Deserialize)]
pub struct PostForm {
    #[serde(default)]
    content: String,
    #[serde(default)]
    visibility: String,
}

/// `POST /dashboard/{artist}`: publishes a post (as `POST /api/v1/posts`).
pub async fn create_post(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, form): CsrfForm<PostForm>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let mut errors = FormErrors::default();
    let visibility = Visibility::parse(&form.visibility)
        .filter(|v| *v != Visibility::Direct)
        .unwrap_or(Visibility::Public);
    match domain::posts::create(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        &form.content,
        visibility,
    )
    .await
    {
        Ok(_) => return Ok(see_other(&format!("/dashboard/{username}"))),
        Err(e) => errors.domain(e, &[("content", "text"), ("content", "content")])?,
    }
    let page = overview_page(
        &state,
        &authed,
        &artist,
        access,
        form.content,
        form.visibility,
        errors,
    )
    .await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Template)]
#[template(path = "web/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    nav: ArtistNav,
    display_name: String,
    summary: String,
    preview: String,
    links: Vec<ProfileLink>,
    manual: bool,
    saved: bool,
    errors: FormErrors,
    /// The stored avatar and header, empty when none.
    avatar_url: String,
    header_url: String,
}

/// The public URL of a stored avatar or header file, empty when none.
fn image_url(state: &AppState, file: &Option<String>) -> String {
    file.as_deref()
        .map(|f| state.urls.media(f).to_string())
        .unwrap_or_default()
}

/// The profile form as stored.
fn stored_profile(
    state: &AppState,
    authed: &Authed,
    artist: &Artist,
    access: Access,
    saved: bool,
    errors: FormErrors,
) -> ProfilePage {
    ProfilePage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "profile"),
        display_name: artist.display_name.clone(),
        // The bio is stored rendered; sanitised HTML is valid Markdown input, so it round-trips.
        summary: artist.summary.clone(),
        preview: String::new(),
        links: link_rows(domain::artists::profile_links(artist)),
        manual: artist.manually_approves_followers,
        saved,
        errors,
        avatar_url: image_url(state, &artist.avatar_file),
        header_url: image_url(state, &artist.header_file),
    }
}

fn link_rows(mut links: Vec<ProfileLink>) -> Vec<ProfileLink> {
    while links.len() < domain::artists::MAX_PROFILE_LINKS {
        links.push(ProfileLink {
            name: String::new(),
            url: String::new(),
        });
    }
    links
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /dashboard/{artist}/profile` (owners)
pub async fn profile_page(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    access.require_owner()?;
    render(&stored_profile(
        &state,
        &authed,
        &artist,
        access,
        q.saved.is_some(),
        FormErrors::default(),
    ))
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    link_name_0: String,
    #[serde(default)]
    link_url_0: String,
    #[serde(default)]
    link_name_1: String,
    #[serde(default)]
    link_url_1: String,
    #[serde(default)]
    link_name_2: String,
    #[serde(default)]
    link_url_2: String,
    #[serde(default)]
    link_name_3: String,
    #[serde(default)]
    link_url_3: String,
    #[serde(default)]
    manual: Option<String>,
    /// `preview` shows the rendered bio without saving.
    #[serde(default)]
    action: String,
}

/// `POST /dashboard/{artist}/profile` (owners): saves, or previews the bio.
pub async fn update_profile(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, form): CsrfForm<ProfileForm>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    access.require_owner()?;
    let typed = [
        (&form.link_name_0, &form.link_url_0),
        (&form.link_name_1, &form.link_url_1),
        (&form.link_name_2, &form.link_url_2),
        (&form.link_name_3, &form.link_url_3),
    ];
    let links: Vec<ProfileLink> = typed
        .iter()
        .filter(|(n, u)| !n.trim().is_empty() || !u.trim().is_empty())
        .map(|(n, u)| ProfileLink {
            name: n.trim().to_owned(),
            url: u.trim().to_owned(),
        })
        .collect();
    let mut errors = FormErrors::default();
    let mut preview = String::new();
    if form.action == "preview" {
        preview = domain::posts::render_markdown(&form.summary);
    } else {
        let update = domain::artists::ProfileUpdate {
            display_name: Some(form.display_name.clone()),
            summary: Some(form.summary.clone()),
            links: Some(links.clone()),
            manually_approves_followers: Some(form.manual.is_some()),
            discoverable: None,
            avatar_media_id: None,
            header_media_id: None,
        };
        match domain::artists::update_profile(&state.db, state.publisher.as_ref(), &artist, update)
            .await
        {
            Ok(_) => return Ok(see_other(&format!("/dashboard/{username}/profile?saved=1"))),
            Err(e) => errors.domain(
                e,
                &[
                    ("display_name", "display name"),
                    ("summary", "summary"),
                    ("links", "link"),
                    ("links", "at most"),
                ],
            )?,
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ProfilePage {
            chrome: authed.chrome(),
            nav: ArtistNav::new(&artist, access, "profile"),
            display_name: form.display_name,
            summary: form.summary,
            preview,
            links: link_rows(links),
            manual: form.manual.is_some(),
            saved: false,
            errors,
            avatar_url: image_url(&state, &artist.avatar_file),
            header_url: image_url(&state, &artist.header_file),
        },
    )
}

/// What the pictures form asks for one image: a new upload, removal, or nothing.
fn image_choice(
    fields: &MultipartFields,
    field: &str,
    errors: &mut FormErrors,
) -> Option<Option<String>> {
    match fields.files.get(field).and_then(|f| f.last()) {
        Some(m) if m.kind == "image" => Some(Some(m.id.clone())),
        Some(_) => {
            errors.add(field, "This must be an image (JPEG, PNG, WebP or GIF).");
            None
        }
        None if !fields.text(&format!("remove_{field}")).is_empty() => Some(None),
        None => None,
    }
}

/// `POST /dashboard/{artist}/profile/images` (owners, multipart): uploads a new avatar and/or
/// header, or removes them. Followers' servers get the actor's `Update`, as for the profile.
pub async fn update_images(
    State(state): State<AppState>,
    Path(username): Path<String>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &form.0, &username).await?;
    access.require_owner()?;
    let mut errors = FormErrors::default();
    let (authed, fields) = MultipartFields::read(&state, form, artist.id, &mut errors).await?;
    let avatar = image_choice(&fields, "avatar", &mut errors);
    let header = image_choice(&fields, "header", &mut errors);
    if errors.is_empty() {
        if avatar.is_none() && header.is_none() {
            errors.add("avatar", "Choose a picture to upload, or tick “Remove”.");
        } else {
            let update = domain::artists::ProfileUpdate {
                avatar_media_id: avatar,
                header_media_id: header,
                ..Default::default()
            };
            match domain::artists::update_profile(
                &state.db,
                state.publisher.as_ref(),
                &artist,
                update,
            )
            .await
            {
                Ok(_) => return Ok(see_other(&format!("/dashboard/{username}/profile?saved=1"))),
                Err(e) => errors.domain(e, &[("avatar", "avatar"), ("header", "header")])?,
            }
        }
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &stored_profile(&state, &authed, &artist, access, false, errors),
    )
}

struct PendingItem {
    id: i64,
    handle: String,
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "web/followers.html")]
struct FollowersPage {
    chrome: Chrome,
    nav: ArtistNav,
    followers: i64,
    manual: bool,
    pending: Vec<PendingItem>,
}

/// `GET /dashboard/{artist}/followers`
pub async fn followers(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let pending = db::follows::pending(&state.db, artist.id)
        .await?
        .into_iter()
        .map(|(f, actor)| PendingItem {
            id: f.id,
            handle: actor.handle(),
            name: actor.shown_name(),
            url: actor.profile_url(),
        })
        .collect();
    render(&FollowersPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(&artist, access, "followers"),
        followers: db::follows::count_accepted(&state.db, artist.id).await?,
        manual: artist.manually_approves_followers,
        pending,
    })
}

/// `POST /dashboard/{artist}/followers/{id}/approve` or `…/reject`
pub async fn answer_follow(
    State(state): State<AppState>,
    Path((username, id, answer)): Path<(String, i64, String)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    let publisher = state.publisher.as_ref();
    match answer.as_str() {
        "approve" => domain::follows::approve(&state.db, publisher, &artist, id).await?,
        "reject" => domain::follows::reject(&state.db, publisher, &artist, id).await?,
        _ => return Err(crate::http::error::AppError::not_found("page").into()),
    }
    Ok(see_other(&format!("/dashboard/{username}/followers")))
}

struct TokenItem {
    id: i64,
    created: String,
}

#[derive(Template)]
#[template(path = "web/tokens.html")]
struct TokensPage {
    chrome: Chrome,
    nav: ArtistNav,
    tokens: Vec<TokenItem>,
    /// A token just created, shown this once.
    new_token: String,
}

async fn tokens_page(
    state: &AppState,
    authed: &Authed,
    artist: &Artist,
    access: Access,
    new_token: String,
) -> Result<Response, WebError> {
    let tokens = db::tokens::of_artist(&state.db, artist.id)
        .await?
        .into_iter()
        .map(|(id, created)| TokenItem {
            id,
            created: created.format("%Y-%m-%d %H:%M UTC").to_string(),
        })
        .collect();
    render(&TokensPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "tokens"),
        tokens,
        new_token,
    })
}

/// `GET /dashboard/{artist}/tokens` (owners)
pub async fn tokens(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    access.require_owner()?;
    tokens_page(&state, &authed, &artist, access, String::new()).await
}

/// `POST /dashboard/{artist}/tokens` (owners): the new token is shown once.
pub async fn create_token(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    access.require_owner()?;
    let token = domain::artists::create_token(&state.db, &artist.username).await?;
    let mut response = tokens_page(&state, &authed, &artist, access, token).await?;
    // The token must not linger in caches.
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `POST /dashboard/{artist}/tokens/{id}/revoke` (owners)
pub async fn revoke_token(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    access.require_owner()?;
    domain::artists::revoke_token(&state.db, &artist, id).await?;
    Ok(see_other(&format!("/dashboard/{username}/tokens")))
}
