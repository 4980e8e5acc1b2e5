//! What the admin says about the instance: its name, description (Markdown), rules, contact and
//! whether people may join. Shown on the home page and in NodeInfo; `registrations` is enforced
//! by [`super::accounts`] (invites are refused while registrations are closed).

use super::DomainError;
use crate::db::{self, instance::SettingsRow, moderation::Audit, Db};

/// Longest instance name, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// Longest description, in characters of Markdown.
pub const MAX_DESCRIPTION_CHARS: usize = 5000;
/// Most rules.
pub const MAX_RULES: usize = 50;
/// Longest rule, in characters.
pub const MAX_RULE_CHARS: usize = 500;
/// Longest contact e-mail address or account, in characters.
pub const MAX_CONTACT_CHARS: usize = 254;

/// Who may join. There is no open sign-up: accounts come from invite links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Registrations {
    /// People join with an invite link an admin made (the default).
    #[default]
    Invite,
    /// Nobody joins: no invite links are made and open ones stop working. The first-run set-up
    /// link still works.
    Closed,
}

impl Registrations {
    pub fn as_str(self) -> &'static str {
        match self {
            Registrations::Invite => "invite",
            Registrations::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Result<Registrations, DomainError> {
        match raw.trim() {
            "invite" => Ok(Registrations::Invite),
            "closed" => Ok(Registrations::Closed),
            other => Err(DomainError::Invalid(format!(
                "registrations must be invite or closed, not {other:?}"
            ))),
        }
    }
}

/// The instance's settings, with defaults filled in for whatever was never set.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The name shown to people: the admin's, or the domain.
    pub name: String,
    /// Whether `name` was set by an admin (false: it is the domain).
    pub name_is_set: bool,
    /// Markdown as typed.
    pub description: String,
    /// Sanitised HTML of `description`; safe to show as is.
    pub description_html: String,
    pub rules: Vec<String>,
    pub contact_email: String,
    pub contact_account: String,
    pub registrations: Registrations,
}

impl Settings {
    /// The description as plain text, for NodeInfo: the Markdown source, trimmed.
    pub fn description_text(&self) -> &str {
        self.description.trim()
    }
}

/// The settings as typed into the admin's form.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub name: String,
    pub description: String,
    /// One rule per line; empty lines are dropped.
    pub rules: String,
    pub contact_email: String,
    pub contact_account: String,
    pub registrations: String,
}

/// The current settings; `domain` is the name when none was set.
pub async fn settings(db: &Db, domain: &str) -> Result<Settings, DomainError> {
    let row = db::instance::settings(db).await?;
    Ok(from_row(row, domain))
}

fn from_row(row: Option<SettingsRow>, domain: &str) -> Settings {
    let Some(row) = row else {
        return Settings {
            name: domain.to_owned(),
            name_is_set: false,
            description: String::new(),
            description_html: String::new(),
            rules: Vec::new(),
            contact_email: String::new(),
            contact_account: String::new(),
            registrations: Registrations::default(),
        };
    };
    let name_is_set = !row.name.trim().is_empty();
    Settings {
        name: if name_is_set {
            row.name
        } else {
            domain.to_owned()
        },
        name_is_set,
        description: row.description,
        description_html: row.description_html,
        rules: split_rules(&row.rules),
        contact_email: row.contact_email,
        contact_account: row.contact_account,
        // An unknown stored value (a newer version's) is read as the stricter one.
        registrations: Registrations::parse(&row.registrations).unwrap_or(Registrations::Closed),
    }
}

fn split_rules(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Whether new accounts may be made from invite links.
pub async fn invites_open(db: &Db) -> Result<bool, DomainError> {
    Ok(db::instance::settings(db)
        .await?
        .map(|row| row.registrations == Registrations::Invite.as_str())
        .unwrap_or(true))
}

/// Checks the input; the error message starts with the field it is about.
fn check(input: &SettingsInput) -> Result<(Vec<String>, Registrations), DomainError> {
    if input.name.trim().chars().count() > MAX_NAME_CHARS {
        return Err(DomainError::Invalid(format!(
            "name must be at most {MAX_NAME_CHARS} characters"
        )));
    }
    if input.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(DomainError::Invalid(format!(
            "description must be at most {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    let rules = split_rules(&input.rules);
    if rules.len() > MAX_RULES {
        return Err(DomainError::Invalid(format!(
            "rules: at most {MAX_RULES}, one per line"
        )));
    }
    if let Some(long) = rules
        .iter()
        .position(|r| r.chars().count() > MAX_RULE_CHARS)
    {
        return Err(DomainError::Invalid(format!(
            "rules: rule {} is longer than {MAX_RULE_CHARS} characters",
            long + 1
        )));
    }
    let email = input.contact_email.trim();
    if !email.is_empty() && !plausible_email(email) {
        return Err(DomainError::Invalid(
            "contact e-mail must look like name@example.org".to_owned(),
        ));
    }
    let account = input.contact_account.trim();
    if account.chars().count() > MAX_CONTACT_CHARS || account.chars().any(char::is_whitespace) {
        return Err(DomainError::Invalid(
            "contact account must be a handle like @name@example.org, without spaces".to_owned(),
        ));
    }
    let registrations = Registrations::parse(&input.registrations)?;
    Ok((rules, registrations))
}

/// One `@`, something on both sides, a dot in the domain, no spaces or angle brackets.
fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.chars().count() <= MAX_CONTACT_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !s.chars().any(|c| c.is_whitespace() || "<>\"'".contains(c))
}

/// Saves the settings (after checking them) with an audit entry by `who`.
pub async fn update(
    db: &Db,
    who: &str,
    domain: &str,
    input: &SettingsInput,
) -> Result<Settings, DomainError> {
    let (rules, registrations) = check(input)?;
    let row = SettingsRow {
        id: 1,
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        description_html: super::posts::render_markdown(input.description.trim()),
        rules: rules.join("\n"),
        contact_email: input.contact_email.trim().to_owned(),
        contact_account: input.contact_account.trim().to_owned(),
        registrations: registrations.as_str().to_owned(),
        updated_at: db::now(),
    };
    let audit = Audit {
        actor: who.to_owned(),
        action: "instance.update",
        target: domain.to_owned(),
        detail: format!("registrations {}", registrations.as_str()),
    };
    db::instance::save_settings(db, &row, &audit).await?;
    Ok(from_row(Some(row), domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            registrations: "invite".to_owned(),
            ..SettingsInput::default()
        }
    }

    #[test]
    fn defaults_are_the_current_behaviour() {
        let s = from_row(None, "music.example");
        assert_eq!(s.name, "music.example");
        assert!(!s.name_is_set);
        assert_eq!(s.registrations, Registrations::Invite);
        assert!(s.rules.is_empty());
    }

    #[test]
    fn rules_are_one_per_line() {
        let mut i = input();
        i.rules = "  Be kind \n\n\r\nNo spam\n".to_owned();
        let (rules, _) = check(&i).unwrap();
        assert_eq!(rules, vec!["Be kind", "No spam"]);
    }

    /// Spoils one field of a good input.
    type Change = fn(&mut SettingsInput);

    #[test]
    fn bad_input_is_refused_naming_the_field() {
        let cases: [(Change, &str); 5] = [
            (|i| i.name = "x".repeat(MAX_NAME_CHARS + 1), "name"),
            (
                |i| i.contact_email = "not an address".to_owned(),
                "contact e-mail",
            ),
            (|i| i.contact_email = "a@b".to_owned(), "contact e-mail"),
            (|i| i.contact_account = "@a b".to_owned(), "contact account"),
            (|i| i.registrations = "open".to_owned(), "registrations"),
        ];
        for (change, field) in cases {
            let mut i = input();
            change(&mut i);
            let err = check(&i).unwrap_err().to_string();
            assert!(err.starts_with(field), "{err}");
        }
        let mut ok = input();
        ok.contact_email = "crew@music.example".to_owned();
        ok.contact_account = "@crew@music.example".to_owned();
        assert!(check(&ok).is_ok());
    }
}
