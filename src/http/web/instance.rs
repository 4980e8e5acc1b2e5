//! `/admin/instance`: the instance's name, description, rules, contact and registrations
//! (`domain::instance`), shown on the home page and in NodeInfo. Admins only.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use serde::Deserialize;

use super::admin::{require_admin, who};
use super::{render_status, see_other, Authed, Chrome, CsrfForm, FormErrors, WebError};
use crate::{domain::instance, AppState};

#[derive(Template)]
#[template(path = "web/admin_instance.html")]
struct InstancePage {
    chrome: Chrome,
    section: &'static str,
    domain: String,
    typed: instance::SettingsInput,
    /// Rendered description, when the admin asked for a preview.
    preview: String,
    saved: bool,
    errors: FormErrors,
}

impl InstancePage {
    fn new(state: &AppState, authed: &Authed, typed: instance::SettingsInput) -> InstancePage {
        InstancePage {
            chrome: authed.chrome(),
            section: "instance",
            domain: state.config.domain.clone(),
            typed,
            preview: String::new(),
            saved: false,
            errors: FormErrors::default(),
        }
    }
}

#[derive(Deserialize)]
pub struct SavedQuery {
    #[serde(default)]
    saved: Option<String>,
}

/// `GET /admin/instance`
pub async fn page(
    State(state): State<AppState>,
    Query(q): Query<SavedQuery>,
    authed: Authed,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let s = instance::settings(&state.db, &state.config.domain).await?;
    let typed = instance::SettingsInput {
        // An unset name stays empty in the form, so saving does not pin today's domain.
        name: if s.name_is_set { s.name } else { String::new() },
        description: s.description,
        rules: s.rules.join("\n"),
        contact_email: s.contact_email,
        contact_account: s.contact_account,
        registrations: s.registrations.as_str().to_owned(),
    };
    let mut page = InstancePage::new(&state, &authed, typed);
    page.saved = q.saved.is_some();
    render_status(StatusCode::OK, &page)
}

#[derive(Deserialize)]
pub struct InstanceForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    contact_account: String,
    #[serde(default)]
    registrations: String,
    /// `preview` renders the description without saving.
    #[serde(default)]
    action: String,
}

/// `POST /admin/instance`: saves the settings, or previews the description.
pub async fn save(
    State(state): State<AppState>,
    CsrfForm(authed, form): CsrfForm<InstanceForm>,
) -> Result<Response, WebError> {
    require_admin(&authed)?;
    let typed = instance::SettingsInput {
        name: form.name,
        description: form.description,
        rules: form.rules,
        contact_email: form.contact_email,
        contact_account: form.contact_account,
        registrations: form.registrations,
    };
    let mut errors = FormErrors::default();
    let mut preview = String::new();
    if form.action == "preview" {
        preview = crate::domain::posts::render_markdown(&typed.description);
    } else {
        match instance::update(&state.db, &who(&authed), &state.config.domain, &typed).await {
            Ok(_) => return Ok(see_other("/admin/instance?saved=1")),
            // Contact first: their messages may mention a "name@…" example.
            Err(e) => errors.domain(
                e,
                &[
                    ("contact_email", "contact e-mail"),
                    ("contact_account", "contact account"),
                    ("registrations", "registrations"),
                    ("rules", "rules"),
                    ("description", "description"),
                    ("name", "name"),
                ],
            )?,
        }
    }
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = InstancePage::new(&state, &authed, typed);
    page.preview = preview;
    page.errors = errors;
    render_status(status, &page)
}
