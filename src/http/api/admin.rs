//! The admin API (`/api/v1/admin/…`), shaped after Mastodon's: domain blocks (with CSV import
//! and export), allowed domains, actor blocks, reports, artist suspension, reply removal and
//! the audit log. Every handler takes [`ApiAdmin`]; artist tokens get 403.

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    auth::{ApiAdmin, ApiArtist},
    json::ApiJson,
};
use crate::{
    db::moderation::{ActorBlockRow, AuditRow, DomainAllowRow, DomainBlockRow, ReportRow},
    domain::moderation::{self, BlockInput, Reporter, Severity},
    http::error::AppError,
    AppState,
};

/// Mastodon's `Admin::DomainBlock` entity.
#[derive(Serialize)]
pub struct DomainBlockView {
    id: String,
    domain: String,
    /// SHA-256 of the domain, as Mastodon publishes for obfuscated blocks.
    digest: String,
    created_at: chrono::DateTime<chrono::Utc>,
    severity: String,
    reject_media: bool,
    reject_reports: bool,
    private_comment: Option<String>,
    public_comment: Option<String>,
    obfuscate: bool,
}

impl From<DomainBlockRow> for DomainBlockView {
    fn from(b: DomainBlockRow) -> Self {
        DomainBlockView {
            id: b.id.to_string(),
            digest: hex::encode(Sha256::digest(b.domain.as_bytes())),
            domain: b.domain,
            created_at: b.created_at.and_utc(),
            severity: b.severity,
            reject_media: b.reject_media,
            reject_reports: b.reject_reports,
            private_comment: b.private_comment,
            public_comment: b.public_comment,
            obfuscate: b.obfuscate,
        }
    }
}

/// The body of `POST`/`PUT` on domain blocks (Mastodon's parameters).
#[derive(Deserialize)]
pub struct DomainBlockParams {
    #[serde(default)]
    domain: String,
    severity: Option<String>,
    #[serde(default)]
    reject_media: bool,
    #[serde(default)]
    reject_reports: bool,
    private_comment: Option<String>,
    public_comment: Option<String>,
    #[serde(default)]
    obfuscate: bool,
}

impl DomainBlockParams {
    fn into_input(self) -> Result<BlockInput, AppError> {
        Ok(BlockInput {
            domain: self.domain,
            // Mastodon's default severity is `silence`.
            severity: Severity::parse(self.severity.as_deref().unwrap_or("silence"))?,
            reject_media: self.reject_media,
            reject_reports: self.reject_reports,
            private_comment: self.private_comment,
            public_comment: self.public_comment,
            obfuscate: self.obfuscate,
        })
    }
}

fn parse_id(raw: &str, what: &str) -> Result<i64, AppError> {
    raw.parse().map_err(|_| AppError::not_found(what))
}

/// `GET /api/v1/admin/domain_blocks`
pub async fn list_blocks(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<DomainBlockView>>, AppError> {
    let rows = crate::db::moderation::list_blocks(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `GET /api/v1/admin/domain_blocks/{id}`
pub async fn get_block(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<DomainBlockView>, AppError> {
    let id = parse_id(&id, "domain block")?;
    crate::db::moderation::block_by_id(&state.db, id)
        .await?
        .map(|b| Json(b.into()))
        .ok_or_else(|| AppError::not_found("domain block"))
}

/// `POST /api/v1/admin/domain_blocks`
pub async fn create_block(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    ApiJson(params): ApiJson<DomainBlockParams>,
) -> Result<Json<DomainBlockView>, AppError> {
    let row = moderation::add_block(&state.db, &who, params.into_input()?).await?;
    Ok(Json(row.into()))
}

/// `PUT /api/v1/admin/domain_blocks/{id}`
pub async fn update_block(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
    ApiJson(params): ApiJson<DomainBlockParams>,
) -> Result<Json<DomainBlockView>, AppError> {
    let id = parse_id(&id, "domain block")?;
    let row = moderation::update_block(&state.db, &who, id, params.into_input()?).await?;
    Ok(Json(row.into()))
}

/// `DELETE /api/v1/admin/domain_blocks/{id}`: answers `{}` like Mastodon.
pub async fn delete_block(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id = parse_id(&id, "domain block")?;
    moderation::remove_block(&state.db, &who, id).await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/admin/domain_blocks/import` with a `text/csv` body in Mastodon's format. All
/// rows or none: a bad row answers 422 naming every bad line.
pub async fn import_blocks(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !ctype.starts_with("text/csv") && !ctype.starts_with("text/plain") {
        return Err(AppError::UnsupportedMediaType(
            "send the block list as text/csv".to_owned(),
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::BadRequest("the CSV is not UTF-8".to_owned()))?;
    let rows = moderation::import_csv(&state.db, &who, text).await?;
    Ok(Json(json!({
        "imported": rows.len(),
        "domain_blocks": rows.into_iter().map(DomainBlockView::from).collect::<Vec<_>>(),
    })))
}

/// `GET /api/v1/admin/domain_blocks/export`: Mastodon's CSV.
pub async fn export_blocks(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Response, AppError> {
    let csv = moderation::export_csv(&state.db).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"domain_blocks.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Mastodon's `Admin::DomainAllow`.
#[derive(Serialize)]
pub struct DomainAllowView {
    id: String,
    domain: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<DomainAllowRow> for DomainAllowView {
    fn from(a: DomainAllowRow) -> Self {
        DomainAllowView {
            id: a.id.to_string(),
            domain: a.domain,
            created_at: a.created_at.and_utc(),
        }
    }
}

#[derive(Deserialize)]
pub struct DomainParam {
    domain: String,
}

/// `GET /api/v1/admin/domain_allows`
pub async fn list_allows(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<DomainAllowView>>, AppError> {
    let rows = crate::db::moderation::list_allows(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `POST /api/v1/admin/domain_allows`
pub async fn create_allow(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    ApiJson(params): ApiJson<DomainParam>,
) -> Result<Json<DomainAllowView>, AppError> {
    let row = moderation::allow_domain(&state.db, &who, &params.domain).await?;
    Ok(Json(row.into()))
}

/// `DELETE /api/v1/admin/domain_allows/{id}`
pub async fn delete_allow(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id = parse_id(&id, "allowed domain")?;
    moderation::remove_allow(&state.db, &who, id).await?;
    Ok(Json(json!({})))
}

#[derive(Serialize)]
pub struct ActorBlockView {
    id: String,
    actor: String,
    comment: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ActorBlockRow> for ActorBlockView {
    fn from(a: ActorBlockRow) -> Self {
        ActorBlockView {
            id: a.id.to_string(),
            actor: a.actor_ap_id,
            comment: a.comment,
            created_at: a.created_at.and_utc(),
        }
    }
}

#[derive(Deserialize)]
pub struct ActorBlockParams {
    actor: String,
    #[serde(default)]
    comment: String,
}

/// `GET /api/v1/admin/actor_blocks`
pub async fn list_actor_blocks(
    State(state): State<AppState>,
    _admin: ApiAdmin,
) -> Result<Json<Vec<ActorBlockView>>, AppError> {
    let rows = crate::db::moderation::list_actor_blocks(&state.db).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `POST /api/v1/admin/actor_blocks`: blocks one remote actor instance-wide.
pub async fn create_actor_block(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    ApiJson(params): ApiJson<ActorBlockParams>,
) -> Result<Json<ActorBlockView>, AppError> {
    let row = moderation::block_actor(&state.db, &who, &params.actor, &params.comment).await?;
    Ok(Json(row.into()))
}

/// `DELETE /api/v1/admin/actor_blocks/{id}`
pub async fn delete_actor_block(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    let id = parse_id(&id, "actor block")?;
    moderation::unblock_actor(&state.db, &who, id).await?;
    Ok(Json(json!({})))
}

#[derive(Serialize)]
pub struct ReportView {
    id: String,
    /// `in`: received as a `Flag`; `out`: sent by Roadie.
    direction: String,
    /// The `Flag` activity's id.
    ap_id: String,
    /// Who reported: a remote actor (in), or the admin token label / `artist:NAME` (out).
    origin: String,
    target_actor: Option<String>,
    object_ids: Vec<String>,
    comment: String,
    action_taken: bool,
    action_taken_by: Option<String>,
    action_taken_at: Option<chrono::DateTime<chrono::Utc>>,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<ReportRow> for ReportView {
    fn from(r: ReportRow) -> Self {
        ReportView {
            id: r.id.to_string(),
            direction: r.direction,
            ap_id: r.ap_id,
            origin: r.origin,
            target_actor: r.target_actor,
            object_ids: serde_json::from_str(&r.object_ids).unwrap_or_default(),
            comment: r.comment,
            action_taken: r.resolved_at.is_some(),
            action_taken_by: r.resolved_by,
            action_taken_at: r.resolved_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
        }
    }
}

#[derive(Deserialize)]
pub struct ReportsQuery {
    #[serde(default)]
    resolved: bool,
}

/// `GET /api/v1/admin/reports[?resolved=true]`
pub async fn list_reports(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    Query(q): Query<ReportsQuery>,
) -> Result<Json<Vec<ReportView>>, AppError> {
    let rows = crate::db::moderation::list_reports(&state.db, q.resolved).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// `POST /api/v1/admin/reports/{id}/resolve`
pub async fn resolve_report(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, AppError> {
    let id = parse_id(&id, "report")?;
    moderation::resolve_report(&state.db, &who, id).await?;
    let row = crate::db::moderation::report_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("report"))?;
    Ok(Json(row.into()))
}

/// A report about a remote actor, sent to their server as a `Flag`.
#[derive(Deserialize)]
pub struct ReportParams {
    /// The actor's ActivityPub id; may be left out when `reply_ids` are given.
    account: Option<String>,
    /// Ids of their replies (as listed by `/api/v1/replies`).
    #[serde(default)]
    reply_ids: Vec<i64>,
    #[serde(default)]
    comment: String,
}

/// `POST /api/v1/admin/reports`: the admin reports a remote actor to their server.
pub async fn admin_report(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    ApiJson(p): ApiJson<ReportParams>,
) -> Result<(StatusCode, Json<ReportView>), AppError> {
    let row = moderation::report_remote(
        &state.db,
        state.publisher.as_ref(),
        &Reporter::Admin(who),
        p.account.as_deref(),
        &p.reply_ids,
        &p.comment,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// `POST /api/v1/reports`: an artist reports a fan (and their replies) to the fan's server.
pub async fn artist_report(
    State(state): State<AppState>,
    ApiArtist(artist): ApiArtist,
    ApiJson(p): ApiJson<ReportParams>,
) -> Result<(StatusCode, Json<ReportView>), AppError> {
    let row = moderation::report_remote(
        &state.db,
        state.publisher.as_ref(),
        &Reporter::Artist(artist),
        p.account.as_deref(),
        &p.reply_ids,
        &p.comment,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Deserialize)]
pub struct AccountAction {
    #[serde(rename = "type")]
    kind: String,
    /// Why (Mastodon's `text`); kept in the audit log.
    #[serde(default)]
    text: String,
}

/// `POST /api/v1/admin/accounts/{username}/action` with `{"type": "suspend"}` (Mastodon's
/// shape; only `suspend` is supported).
pub async fn account_action(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(username): Path<String>,
    ApiJson(action): ApiJson<AccountAction>,
) -> Result<Json<Value>, AppError> {
    if action.kind != "suspend" {
        return Err(AppError::Unprocessable(
            "only the suspend action is supported".to_owned(),
        ));
    }
    moderation::suspend_artist(
        &state.db,
        state.publisher.as_ref(),
        &who,
        &username,
        &action.text,
        state.config.limits.suspension_delete_delay,
    )
    .await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/admin/accounts/{username}/unsuspend`
pub async fn unsuspend(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(username): Path<String>,
) -> Result<Json<Value>, AppError> {
    moderation::unsuspend_artist(&state.db, &who, &username).await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/admin/replies/{id}`: removes a fan's reply everywhere on Roadie.
pub async fn remove_reply(
    State(state): State<AppState>,
    ApiAdmin(who): ApiAdmin,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = parse_id(&id, "reply")?;
    moderation::remove_reply(&state.db, &who, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct AuditView {
    id: String,
    /// The admin token's label, or `cli`.
    actor: String,
    action: String,
    target: String,
    detail: String,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<AuditRow> for AuditView {
    fn from(a: AuditRow) -> Self {
        AuditView {
            id: a.id.to_string(),
            actor: a.actor,
            action: a.action,
            target: a.target,
            detail: a.detail,
            created_at: a.created_at.and_utc(),
        }
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<i64>,
}

/// `GET /api/v1/admin/audit_log[?limit=N]`, newest first.
pub async fn audit_log(
    State(state): State<AppState>,
    _admin: ApiAdmin,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditView>>, AppError> {
    let rows = moderation::audit_log(&state.db, q.limit.unwrap_or(100)).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// The admin routes (and `POST /api/v1/reports` for artists).
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{delete, get, post};
    axum::Router::new()
        .route(
            "/api/v1/admin/domain_blocks",
            get(list_blocks).post(create_block),
        )
        .route("/api/v1/admin/domain_blocks/import", post(import_blocks))
        .route("/api/v1/admin/domain_blocks/export", get(export_blocks))
        .route(
            "/api/v1/admin/domain_blocks/{id}",
            get(get_block).put(update_block).delete(delete_block),
        )
        .route(
            "/api/v1/admin/domain_allows",
            get(list_allows).post(create_allow),
        )
        .route("/api/v1/admin/domain_allows/{id}", delete(delete_allow))
        .route(
            "/api/v1/admin/actor_blocks",
            get(list_actor_blocks).post(create_actor_block),
        )
        .route(
            "/api/v1/admin/actor_blocks/{id}",
            delete(delete_actor_block),
        )
        .route(
            "/api/v1/admin/reports",
            get(list_reports).post(admin_report),
        )
        .route("/api/v1/admin/reports/{id}/resolve", post(resolve_report))
        .route(
            "/api/v1/admin/accounts/{username}/action",
            post(account_action),
        )
        .route(
            "/api/v1/admin/accounts/{username}/unsuspend",
            post(unsuspend),
        )
        .route("/api/v1/admin/replies/{id}", delete(remove_reply))
        .route("/api/v1/admin/audit_log", get(audit_log))
        .route("/api/v1/reports", post(artist_report))
}
