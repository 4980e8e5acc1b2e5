//! The admin's moderation screens: artist suspension, domain blocks (with Mastodon's CSV import
//! and export), reports and the audit log. Every action calls the same `domain::moderation`
//! function as the admin JSON API. Admins only.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::admin::{require_admin, who};
use super::{
    render, render_status, see_other, Authed, Chrome, CsrfForm, CsrfMultipart, FormErrors, WebError,
};
use crate::{
    db::{self, moderation::DomainBlockRow},
    domain::{
        moderation::{self, BlockInput, Severity},
        DomainError,
    },
    AppState,
};

/// Audit entries shown on the audit log page.
const AUDIT_ENTRIES: i64 = 200;

/// Ids in paths are numbers; anything else names nothing.
fn parse_id(raw: &str, what: &'static str) -> Result<i64, WebError> {
    raw.parse().map_err(|_| DomainError::NotFound(what).into())
}

fn date(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

// ---- Artists -------------------------------------------------------------------------------

#[derive(Deserialize)]
pub struct SuspendForm {
    #[serde(default)]
    reason: String,
}

/// `POST /admin/artists/{username}/suspend`: as `POST /api/v1/admin/accounts/{name}/action`.
pub async fn suspend(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, form): CsrfForm<SuspendForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    moderation::suspend_artist(
        &state.db,
        state.publisher.as_ref(),
        &who(&authed),
        &username,
        &form.reason,
        state.config.limits.suspension_delete_delay,
    )
    .await?;
    Ok(see_other("/admin"))
}

/// `POST /admin/artists/{username}/unsuspend`
pub async fn unsuspend(
    State(state): State<AppState>,
    Path(username): Path<String>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    moderation::unsuspend_artist(&state.db, &who(&authed), &username).await?;
    Ok(see_other("/admin"))
}

/// `POST /admin/users/{id}/suspend`: no log-in and no session until lifted.
pub async fn suspend_user(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    CsrfForm(authed, form): CsrfForm<SuspendForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    moderation::set_user_suspension(
        &state.db,
        &who(&authed),
        Some(authed.user.id),
        user_id,
        Some(&form.reason),
    )
    .await?;
    Ok(see_other("/admin"))
}

/// `POST /admin/users/{id}/unsuspend`
pub async fn unsuspend_user(
    State(state): State<AppState>,
    Path(user_id): Path<i64>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    moderation::set_user_suspension(
        &state.db,
        &who(&authed),
        Some(authed.user.id),
        user_id,
        None,
    )
    .await?;
    Ok(see_other("/admin"))
}

// ---- Domain blocks -------------------------------------------------------------------------

/// A block form as typed, kept when it comes back with errors.
#[derive(Deserialize, Default)]
pub struct BlockForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    reject_media: Option<String>,
    #[serde(default)]
    reject_reports: Option<String>,
    /// Shown to everyone (exported in the CSV).
    #[serde(default)]
    public_comment: String,
    /// For the admins only.
    #[serde(default)]
    private_comment: String,
    #[serde(default)]
    obfuscate: Option<String>,
}

impl BlockForm {
    fn of(b: &DomainBlockRow) -> BlockForm {
        let on = |v: bool| v.then(|| "on".to_owned());
        BlockForm {
            domain: b.domain.clone(),
            severity: b.severity.clone(),
            reject_media: on(b.reject_media),
            reject_reports: on(b.reject_reports),
            public_comment: b.public_comment.clone().unwrap_or_default(),
            private_comment: b.private_comment.clone().unwrap_or_default(),
            obfuscate: on(b.obfuscate),
        }
    }

    fn input(&self) -> Result<BlockInput, DomainError> {
        Ok(BlockInput {
            domain: self.domain.clone(),
            severity: Severity::parse(&self.severity)?,
            reject_media: self.reject_media.is_some(),
            reject_reports: self.reject_reports.is_some(),
            private_comment: Some(self.private_comment.clone()),
            public_comment: Some(self.public_comment.clone()),
            obfuscate: self.obfuscate.is_some(),
        })
    }
}

/// Where a block refusal is shown: severity first (its message names no domain).
const BLOCK_FIELDS: &[(&str, &str)] = &[
    ("severity", "severity"),
    ("domain", "domain"),
    ("domain", "blocked already"),
];

struct BlockItem {
    id: i64,
    domain: String,
    severity: String,
    flags: String,
    public_comment: String,
    private_comment: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "web/admin_blocks.html")]
struct BlocksPage {
    chrome: Chrome,
    section: &'static str,
    blocks: Vec<BlockItem>,
    typed: BlockForm,
    errors: FormErrors,
    /// The CSV text of a refused import, shown again.
    csv: String,
    /// One message per refused CSV line.
    import_errors: Vec<String>,
    /// What the last action did ("3 blocks imported").
    notice: String,
}

async fn blocks_page(state: &AppState, authed: &Authed) -> Result<BlocksPage, WebError> {
    let blocks = db::moderation::list_blocks(&state.db)
        .await?
        .into_iter()
        .map(|b| {
            let mut flags = Vec::new();
            if b.reject_media {
                flags.push("reject media");
            }
            if b.reject_reports {
                flags.push("reject reports");
            }
            if b.obfuscate {
                flags.push("obfuscated");
            }
            BlockItem {
                id: b.id,
                domain: b.domain,
                severity: b.severity,
                flags: flags.join(", "),
                public_comment: b.public_comment.unwrap_or_default(),
                private_comment: b.private_comment.unwrap_or_default(),
                updated: date(b.updated_at),
            }
        })
        .collect();
    Ok(BlocksPage {
        chrome: authed.chrome(),
        section: "blocks",
        blocks,
        typed: BlockForm {
            severity: Severity::Suspend.as_str().to_owned(),
            ..BlockForm::default()
        },
        errors: FormErrors::default(),
        csv: String::new(),
        import_errors: Vec::new(),
        notice: String::new(),
    })
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    #[serde(default)]
    imported: Option<usize>,
}

/// `GET /admin/blocks`
pub async fn blocks(
    State(state): State<AppState>,
    Query(q): Query<NoticeQuery>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let mut page = blocks_page(&state, &authed).await?;
    if let Some(n) = q.imported {
        page.notice = format!("{n} block(s) imported.");
    }
    render(&page)
}

/// `POST /admin/blocks`: adds a block.
pub async fn add_block(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<BlockForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let mut errors = FormErrors::default();
    let added = match form.input() {
        Ok(input) => moderation::add_block(&state.db, &who(&authed), input).await,
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => return Ok(see_other("/admin/blocks")),
        Err(e) => errors.domain(e, BLOCK_FIELDS)?,
    }
    let mut page = blocks_page(&state, &authed).await?;
    page.typed = form;
    page.errors = errors;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

#[derive(Template)]
#[template(path = "web/admin_block_edit.html")]
struct BlockEditPage {
    chrome: Chrome,
    section: &'static str,
    id: i64,
    typed: BlockForm,
    errors: FormErrors,
}

/// `GET /admin/blocks/{id}`: the edit form of one block.
pub async fn edit_block(
    State(state): State<AppState>,
    Path(id): Path<String>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let id = parse_id(&id, "domain block")?;
    let block = db::moderation::block_by_id(&state.db, id)
        .await?
        .ok_or(DomainError::NotFound("domain block"))?;
    render(&BlockEditPage {
        chrome: authed.chrome(),
        section: "blocks",
        id,
        typed: BlockForm::of(&block),
        errors: FormErrors::default(),
    })
}

/// `POST /admin/blocks/{id}`: changes a block (its domain stays).
pub async fn update_block(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(authed, mut form): CsrfForm<BlockForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let id = parse_id(&id, "domain block")?;
    let block = db::moderation::block_by_id(&state.db, id)
        .await?
        .ok_or(DomainError::NotFound("domain block"))?;
    form.domain = block.domain;
    let mut errors = FormErrors::default();
    let updated = match form.input() {
        Ok(input) => moderation::update_block(&state.db, &who(&authed), id, input).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(_) => return Ok(see_other("/admin/blocks")),
        Err(e) => errors.domain(e, BLOCK_FIELDS)?,
    }
    render_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &BlockEditPage {
            chrome: authed.chrome(),
            section: "blocks",
            id,
            typed: form,
            errors,
        },
    )
}

/// `POST /admin/blocks/{id}/delete`: lifts a block.
pub async fn remove_block(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let id = parse_id(&id, "domain block")?;
    moderation::remove_block(&state.db, &who(&authed), id).await?;
    Ok(see_other("/admin/blocks"))
}

/// `GET /admin/blocks/export.csv`: every block in Mastodon's CSV format, as a download.
pub async fn export_blocks(
    State(state): State<AppState>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let csv = moderation::export_csv(&state.db).await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"domain_blocks.csv\""),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        csv,
    )
        .into_response())
}

/// Splits the parser's "line 2: …; line 5: …" into one message per line.
fn line_errors(message: &str) -> Vec<String> {
    message
        .split("; line ")
        .enumerate()
        .map(|(i, part)| {
            if i == 0 {
                part.to_owned()
            } else {
                format!("line {part}")
            }
        })
        .collect()
}

/// `POST /admin/blocks/import` (multipart: `csv` text or an uploaded `file`): imports
/// Mastodon's CSV, all rows or none; refused lines are listed one by one.
pub async fn import_blocks(
    State(state): State<AppState>,
    form: CsrfMultipart,
) -> Result<Response, WebError> {
    require_admin(&form.0)?;
    let (authed, fields) = form.text_fields().await?;
    // An uploaded file wins over the text box.
    let text = fields
        .get("file")
        .filter(|f| !f.trim().is_empty())
        .or_else(|| fields.get("csv"))
        .cloned()
        .unwrap_or_default();
    let import_errors = if text.trim().is_empty() {
        vec!["Paste the CSV or choose a file.".to_owned()]
    } else {
        match moderation::import_csv(&state.db, &who(&authed), &text).await {
            Ok(rows) => return Ok(see_other(&format!("/admin/blocks?imported={}", rows.len()))),
            Err(DomainError::Invalid(m)) => line_errors(&m),
            Err(e) => return Err(e.into()),
        }
    };
    let mut page = blocks_page(&state, &authed).await?;
    page.csv = text;
    page.import_errors = import_errors;
    render_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---- Reports and the audit log ------------------------------------------------------------

struct ReportItem {
    id: i64,
    /// "Received from …" or "Sent by …".
    origin: String,
    target_actor: String,
    objects: Vec<String>,
    comment: String,
    created: String,
    /// "Resolved by … on …", or empty while open.
    resolved: String,
}

/// Which reports `/admin/reports` lists.
#[derive(Deserialize, Default)]
pub struct ReportsQuery {
    #[serde(default)]
    resolved: bool,
}

#[derive(Template)]
#[template(path = "web/admin_reports.html")]
struct ReportsPage {
    chrome: Chrome,
    section: &'static str,
    reports: Vec<ReportItem>,
    /// Whether this is the list of resolved reports (else the open ones).
    resolved: bool,
}

/// `GET /admin/reports`: open reports, received and sent; `?resolved=true`: resolved ones.
pub async fn reports(
    State(state): State<AppState>,
    Query(query): Query<ReportsQuery>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let reports = db::moderation::list_reports(&state.db, query.resolved)
        .await?
        .into_iter()
        .map(|r| ReportItem {
            id: r.id,
            origin: if r.direction == "in" {
                format!("Received from {}", r.origin)
            } else {
                format!("Sent by {}", r.origin)
            },
            target_actor: r.target_actor.unwrap_or_default(),
            objects: serde_json::from_str(&r.object_ids).unwrap_or_default(),
            comment: r.comment,
            created: date(r.created_at),
            resolved: r
                .resolved_at
                .map(|at| {
                    format!(
                        "Resolved by {} on {}",
                        r.resolved_by.as_deref().unwrap_or("?"),
                        date(at)
                    )
                })
                .unwrap_or_default(),
        })
        .collect();
    render(&ReportsPage {
        chrome: authed.chrome(),
        section: "reports",
        reports,
        resolved: query.resolved,
    })
}

/// `POST /admin/reports/{id}/resolve`
pub async fn resolve_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(authed, _): CsrfForm<super::account::Empty>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let id = parse_id(&id, "report")?;
    moderation::resolve_report(&state.db, &who(&authed), id).await?;
    Ok(see_other("/admin/reports"))
}

struct AuditItem {
    at: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "web/admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    section: &'static str,
    entries: Vec<AuditItem>,
}

/// `GET /admin/audit`: the newest moderation actions.
pub async fn audit(State(state): State<AppState>, authed: Authed) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let entries = moderation::audit_log(&state.db, AUDIT_ENTRIES)
        .await?
        .into_iter()
        .map(|e| AuditItem {
            at: date(e.created_at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect();
    render(&AuditPage {
        chrome: authed.chrome(),
        section: "audit",
        entries,
    })
}

#[cfg(test)]
mod tests {
    use super::line_errors;

    #[test]
    fn csv_errors_are_split_per_line() {
        assert_eq!(
            line_errors("line 2: \"a b\" is not a domain name; line 4: expected 6 fields, found 2"),
            vec![
                "line 2: \"a b\" is not a domain name",
                "line 4: expected 6 fields, found 2"
            ]
        );
        assert_eq!(line_errors("the file is empty"), vec!["the file is empty"]);
    }
}
