//! What fans do, as the artist's team sees it: boosts, likes and replies (hide, show again,
//! remove, answer), the points leaderboard of passing music along, and how many fans want show
//! alerts near each place. The same domain functions and queries as the JSON API
//! (`/api/v1/replies`, `/api/v1/passes`, `/api/v1/alerts`). Editors may use all of it.

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::{
    dashboard::{access, ArtistNav},
    render, render_status, see_other, Authed, Chrome, CsrfForm, FormErrors, WebError,
};
use crate::{
    db::{self, artists::Artist, interactions::Counts},
    domain::{
        self, accounts::Access, interactions::ReplyModeration, passes::Standing,
        releases::ReleaseKind,
    },
    http::error::AppError,
    AppState,
};

/// Posts and releases listed with their counts.
const OBJECTS_SHOWN: usize = 50;
/// Latest boosts and likes listed.
const RECENT_SHOWN: i64 = 20;
/// Replies listed (newest first).
const REPLIES_SHOWN: i64 = 200;
/// Longest excerpt of a post used as its name, in characters.
const EXCERPT_CHARS: usize = 60;

/// A post or release with what fans did with it.
struct ObjectItem {
    label: String,
    kind: &'static str,
    url: String,
    counts: Counts,
}

struct RecentItem {
    fan: String,
    fan_url: String,
    what: &'static str,
    object: String,
    object_url: String,
    when: String,
}

struct ReplyItem {
    id: i64,
    author: String,
    author_name: String,
    author_url: String,
    /// Sanitised by `domain::interactions::sanitize_reply` when it arrived.
    content_html: String,
    object: String,
    object_url: String,
    hidden: bool,
    when: String,
    /// The answer being written, kept when it comes back with an error.
    answer: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "web/interactions.html")]
struct InteractionsPage {
    chrome: Chrome,
    nav: ArtistNav,
    objects: Vec<ObjectItem>,
    recent: Vec<RecentItem>,
    replies: Vec<ReplyItem>,
    /// An answer was just sent.
    answered: bool,
}

/// Names and URLs of an artist's posts and releases, looked up once per page.
struct Names<'a> {
    state: &'a AppState,
    artist: &'a Artist,
    known: HashMap<(String, i64), (String, String)>,
}

impl<'a> Names<'a> {
    fn new(state: &'a AppState, artist: &'a Artist) -> Names<'a> {
        Names {
            state,
            artist,
            known: HashMap::new(),
        }
    }

    /// `(label, url)` of a post or release.
    async fn of(&mut self, kind: &str, id: i64) -> Result<(String, String), WebError> {
        if let Some(known) = self.known.get(&(kind.to_owned(), id)) {
            return Ok(known.clone());
        }
        let (db, urls, username) = (&self.state.db, &self.state.urls, &self.artist.username);
        let named = if kind == "release" {
            let title = db::releases::by_id(db, id)
                .await?
                .map(|r| {
                    let kind = ReleaseKind::parse(&r.kind).unwrap_or(ReleaseKind::Other);
                    format!("{} ({})", r.title, kind.label())
                })
                .unwrap_or_else(|| format!("Release {id}"));
            (title, urls.release(username, id).to_string())
        } else {
            let text = db::posts::by_id(db, id)
                .await?
                .map(|p| excerpt(&p.content_source))
                .unwrap_or_else(|| format!("Post {id}"));
            (text, urls.post(username, id).to_string())
        };
        self.known.insert((kind.to_owned(), id), named.clone());
        Ok(named)
    }
}

/// The start of a post's text, on one line.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > EXCERPT_CHARS {
        let cut: String = line.chars().take(EXCERPT_CHARS).collect();
        format!("{}…", cut.trim_end())
    } else {
        line
    }
}

fn when(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// The interactions page; `typed` keeps an answer (reply id, text, error) that was refused.
async fn interactions_page(
    state: &AppState,
    authed: &Authed,
    artist: &Artist,
    access: Access,
    typed: Option<(i64, String, String)>,
) -> Result<InteractionsPage, WebError> {
    let mut names = Names::new(state, artist);
    let mut objects = Vec::new();
    for (kind, id, counts) in
        db::interactions::counts_by_object(&state.db, artist.id, OBJECTS_SHOWN).await?
    {
        let (label, url) = names.of(&kind, id).await?;
        objects.push(ObjectItem {
            label,
            kind: if kind == "release" { "Release" } else { "Post" },
            url,
            counts,
        });
    }
    let mut recent = Vec::new();
    for (row, fan) in
        db::interactions::recent_for_artist(&state.db, artist.id, RECENT_SHOWN).await?
    {
        let (object, object_url) = names.of(&row.object_kind, row.object_id).await?;
        recent.push(RecentItem {
            fan: fan.handle(),
            fan_url: fan.profile_url(),
            what: if row.kind == "announce" {
                "boosted"
            } else {
                "liked"
            },
            object,
            object_url,
            when: when(row.created_at),
        });
    }
    let mut replies = Vec::new();
    for (reply, fan) in
        db::interactions::replies_for_artist(&state.db, artist.id, REPLIES_SHOWN).await?
    {
        let (object, object_url) = names.of(&reply.object_kind, reply.object_id).await?;
        let (answer, error) = match &typed {
            Some((id, text, error)) if *id == reply.id => (text.clone(), Some(error.clone())),
            _ => (String::new(), None),
        };
        replies.push(ReplyItem {
            id: reply.id,
            author: fan.handle(),
            author_name: fan.shown_name(),
            author_url: reply.url.clone().unwrap_or_else(|| fan.profile_url()),
            content_html: reply.content_html,
            object,
            object_url,
            hidden: reply.hidden,
            when: when(reply.published_at),
            answer,
            error,
        });
    }
    Ok(InteractionsPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(artist, access, "interactions"),
        objects,
        recent,
        replies,
        answered: false,
    })
}

#[derive(Deserialize)]
pub struct InteractionsQuery {
    #[serde(default)]
    answered: Option<String>,
}

/// `GET /dashboard/{artist}/interactions`
pub async fn interactions(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
    Query(q): Query<InteractionsQuery>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let mut page = interactions_page(&state, &authed, &artist, access, None).await?;
    page.answered = q.answered.is_some();
    render(&page)
}

/// `POST /dashboard/{artist}/replies/{id}/{action}`: `hide`, `unhide` or `delete`.
pub async fn moderate_reply(
    State(state): State<AppState>,
    Path((username, id, action)): Path<(String, i64, String)>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    let (artist, _) = access(&state, &authed, &username).await?;
    let action = match action.as_str() {
        "hide" => ReplyModeration::Hide,
        "unhide" => ReplyModeration::Unhide,
        "delete" => ReplyModeration::Remove,
        _ => return Err(AppError::not_found("page").into()),
    };
    domain::interactions::moderate_reply(&state.db, &artist, id, action).await?;
    Ok(see_other(&format!(
        "/dashboard/{username}/interactions#replies"
    )))
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    content: String,
}

/// `POST /dashboard/{artist}/replies/{id}/answer`: a public answer in the thread, mentioning
/// the fan (as `POST /api/v1/replies/{id}/answer`).
pub async fn answer_reply(
    State(state): State<AppState>,
    Path((username, id)): Path<(String, i64)>,
    CsrfForm(authed, form): CsrfForm<AnswerForm>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let mut errors = FormErrors::default();
    match domain::interactions::answer_reply(
        &state.db,
        state.publisher.as_ref(),
        &artist,
        id,
        &form.content,
    )
    .await
    {
        Ok(_) => {
            return Ok(see_other(&format!(
                "/dashboard/{username}/interactions?answered={id}#replies"
            )))
        }
        Err(e) => errors.domain(e, &[("answer", "content")])?,
    }
    let message = errors
        .get("answer")
        .or_else(|| errors.get("form"))
        .unwrap_or("This answer could not be sent.")
        .to_owned();
    let page = interactions_page(
        &state,
        &authed,
        &artist,
        access,
        Some((id, form.content, message)),
    )
    .await?;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

struct ObjectPasses {
    label: String,
    url: String,
    passes: i64,
}

#[derive(Template)]
#[template(path = "web/leaderboard.html")]
struct LeaderboardPage {
    chrome: Chrome,
    nav: ArtistNav,
    /// `0` for all time.
    days: i64,
    standings: Vec<Standing>,
    objects: Vec<ObjectPasses>,
}

#[derive(Deserialize)]
pub struct LeaderboardQuery {
    #[serde(default)]
    days: Option<String>,
}

/// Periods offered, in days (0 = all time).
const PERIODS: [i64; 3] = [7, 30, 0];

/// `GET /dashboard/{artist}/leaderboard?days=30`: fans by points (boosts plus passes), as
/// `GET /api/v1/passes`, with fans who asked to be left off public lists included.
pub async fn leaderboard(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
    Query(q): Query<LeaderboardQuery>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    // Anything but an offered period is all time: a link never fails.
    let days = q
        .days
        .and_then(|d| d.parse::<i64>().ok())
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(0);
    let since = (days > 0).then(|| db::now() - chrono::Duration::days(days));
    let standings = domain::passes::leaderboard(&state.db, &artist, since, 200).await?;
    let mut names = Names::new(&state, &artist);
    let mut objects = Vec::new();
    for (kind, id, passes) in db::passes::passes_by_object(&state.db, artist.id).await? {
        let (label, url) = names.of(&kind, id).await?;
        objects.push(ObjectPasses { label, url, passes });
    }
    render(&LeaderboardPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(&artist, access, "leaderboard"),
        days,
        standings,
        objects,
    })
}

struct PlaceItem {
    place: String,
    subscribers: i64,
}

#[derive(Template)]
#[template(path = "web/alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    nav: ArtistNav,
    tour_url: String,
    total: i64,
    places: Vec<PlaceItem>,
}

/// `GET /dashboard/{artist}/alerts`: how many fans asked for show alerts near each place
/// (counts only, never who), as `GET /api/v1/alerts`.
pub async fn alerts(
    State(state): State<AppState>,
    authed: Authed,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let (artist, access) = access(&state, &authed, &username).await?;
    let places: Vec<PlaceItem> = db::alerts::counts_per_place(&state.db, artist.id)
        .await?
        .into_iter()
        .map(|(place, subscribers)| PlaceItem { place, subscribers })
        .collect();
    render(&AlertsPage {
        chrome: authed.chrome(),
        nav: ArtistNav::new(&artist, access, "alerts"),
        tour_url: state.urls.tour(&artist.username).to_string(),
        total: places.iter().map(|p| p.subscribers).sum(),
        places,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_one_short_line() {
        assert_eq!(excerpt("New  song\nout"), "New song out");
        let long = "word ".repeat(30);
        let e = excerpt(&long);
        assert!(
            e.ends_with('…') && e.chars().count() <= EXCERPT_CHARS + 1,
            "{e}"
        );
    }
}
