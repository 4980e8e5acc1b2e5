//! Moderation rules: which remote hosts and actors Roadie federates with (domain blocks,
//! allowlist mode, actor blocks), the Mastodon CSV format of block lists, admin tokens, reports
//! and artist suspension. The inbox, the delivery workers and the remote fetcher all ask
//! [`Policies`]; nothing else decides whether a host is reachable.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use url::Url;

use super::{DomainError, Publisher};
use crate::db::{
    self,
    artists::Artist,
    moderation::{Audit, DomainBlockRow, NewDomainBlock, NewReport},
    remote_actors::RemoteActorRow,
    Db, DbResult,
};
use crate::{cache::FreshMap, config::FederationMode};

/// Mastodon's block severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Only the flags apply (`reject_media`, `reject_reports`).
    Noop,
    /// Limited: follows need the artist's approval, replies are hidden from public pages.
    Silence,
    /// Nothing in, nothing out, nothing kept.
    Suspend,
}

impl Severity {
    pub fn parse(raw: &str) -> Result<Severity, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "noop" => Ok(Severity::Noop),
            "silence" => Ok(Severity::Silence),
            "suspend" => Ok(Severity::Suspend),
            other => Err(DomainError::Invalid(format!(
                "severity must be noop, silence or suspend, not {other:?}"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Noop => "noop",
            Severity::Silence => "silence",
            Severity::Suspend => "suspend",
        }
    }
}

/// Normalises a domain as an admin types it: lower case, IDN to punycode, no trailing dot, no
/// leading `*.` (every block covers subdomains anyway). Refuses ports, paths and user parts.
pub fn normalize_domain(raw: &str) -> Result<String, DomainError> {
    let bad = || DomainError::Invalid(format!("{raw:?} is not a domain name"));
    let trimmed = raw.trim();
    let trimmed = trimmed.strip_prefix("*.").unwrap_or(trimmed);
    if trimmed.is_empty()
        || trimmed
            .chars()
            .any(|c| c.is_whitespace() || "/@:?#\\".contains(c))
    {
        return Err(bad());
    }
    let url = Url::parse(&format!("http://{trimmed}/")).map_err(|_| bad())?;
    let host = url.host_str().ok_or_else(bad)?.trim_end_matches('.');
    if host.is_empty() || url.port().is_some() || url.path() != "/" {
        return Err(bad());
    }
    Ok(host.to_owned())
}

/// The normalised host of a URL (no port, no trailing dot), as blocks are matched.
pub fn url_host(url: &Url) -> Option<String> {
    url.host_str()
        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

/// A host and each of its parent domains: `a.b.example` → `a.b.example`, `b.example`, `example`.
fn candidates(host: &str) -> Vec<String> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host.starts_with('[') || host.parse::<std::net::IpAddr>().is_ok() {
        return vec![host];
    }
    let mut out = vec![host.clone()];
    let mut rest = host.as_str();
    while let Some((_, parent)) = rest.split_once('.') {
        if parent.is_empty() {
            break;
        }
        out.push(parent.to_owned());
        rest = parent;
    }
    out
}

/// Whether `host` is `domain` or one of its subdomains (both normalised).
pub fn host_matches(host: &str, domain: &str) -> bool {
    host == domain
        || host
            .strip_suffix(domain)
            .is_some_and(|prefix| prefix.ends_with('.'))
}

/// What Roadie does with one remote host.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostPolicy {
    /// No federation at all: 403 at the inbox, no delivery, no fetch (a suspended domain, or
    /// one not on the allowlist in allowlist mode).
    pub refused: bool,
    /// Silenced: follows need approval, replies are hidden.
    pub silenced: bool,
    pub reject_media: bool,
    pub reject_reports: bool,
}

/// The moderation rules of the instance, held in memory: asked for every inbox delivery, every
/// outgoing delivery and every remote fetch, they cost no database round trip while unchanged.
///
/// Freshness follows the rule of `crate::cache`: a snapshot is used while no rule was written by
/// this process since it was loaded (`db::moderation::rules_changes`) and for at most the TTL,
/// so a block takes effect at once on the process that made it and within the TTL on others
/// sharing the database.
pub struct Policies {
    snapshot: FreshMap<(), Arc<Rules>>,
}

/// All blocks, allows and blocked actors (a few thousand rows at most on a real instance).
#[derive(Default)]
struct Rules {
    blocks: HashMap<String, DomainBlockRow>,
    allows: HashSet<String>,
    blocked_actors: HashSet<String>,
}

impl Policies {
    /// Rules are reloaded after `ttl` at the latest; a zero `ttl` reloads them for every question.
    pub fn new(ttl: Duration) -> Self {
        Policies {
            snapshot: FreshMap::new(ttl),
        }
    }

    async fn rules(&self, db: &Db) -> DbResult<Arc<Rules>> {
        let changes = db::moderation::rules_changes();
        if let Some(rules) = self.snapshot.get(&(), changes) {
            return Ok(rules);
        }
        let rules = Arc::new(Rules {
            blocks: db::moderation::list_blocks(db)
                .await?
                .into_iter()
                .map(|b| (b.domain.clone(), b))
                .collect(),
            allows: db::moderation::allowed_domains(db)
                .await?
                .into_iter()
                .collect(),
            blocked_actors: db::moderation::blocked_actor_ids(db)
                .await?
                .into_iter()
                .collect(),
        });
        self.snapshot.put((), changes, rules.clone());
        Ok(rules)
    }

    /// The policy for `host` (with or without port). The most specific block wins, as in
    /// Mastodon.
    pub async fn host_policy(
        &self,
        db: &Db,
        mode: FederationMode,
        host: &str,
    ) -> DbResult<HostPolicy> {
        let rules = self.rules(db).await?;
        let domains = candidates(db::moderation::strip_port(host));
        // Candidates run from the host itself to its shortest parent: the first hit is the
        // most specific block.
        let mut policy = match domains.iter().find_map(|d| rules.blocks.get(d)) {
            Some(b) => HostPolicy {
                refused: b.severity == Severity::Suspend.as_str(),
                silenced: b.severity == Severity::Silence.as_str(),
                reject_media: b.reject_media,
                reject_reports: b.reject_reports,
            },
            None => HostPolicy::default(),
        };
        if mode == FederationMode::Allowlist && !domains.iter().any(|d| rules.allows.contains(d)) {
            policy.refused = true;
        }
        Ok(policy)
    }

    /// The policy for the host of `url`; a URL without a host is refused.
    pub async fn url_policy(
        &self,
        db: &Db,
        mode: FederationMode,
        url: &Url,
    ) -> DbResult<HostPolicy> {
        match url_host(url) {
            Some(host) => self.host_policy(db, mode, &host).await,
            None => Ok(HostPolicy {
                refused: true,
                ..HostPolicy::default()
            }),
        }
    }

    /// Whether an actor is blocked instance-wide.
    pub async fn actor_blocked(&self, db: &Db, actor_id: &str) -> DbResult<bool> {
        Ok(self.rules(db).await?.blocked_actors.contains(actor_id))
    }
}

/// A block as given through the API or CLI, before normalisation.
#[derive(Debug, Clone)]
pub struct BlockInput {
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub reject_reports: bool,
    pub private_comment: Option<String>,
    pub public_comment: Option<String>,
    pub obfuscate: bool,
}

impl BlockInput {
    fn into_new(self) -> Result<NewDomainBlock, DomainError> {
        Ok(NewDomainBlock {
            domain: normalize_domain(&self.domain)?,
            severity: self.severity.as_str().to_owned(),
            reject_media: self.reject_media,
            reject_reports: self.reject_reports,
            private_comment: self.private_comment.filter(|c| !c.trim().is_empty()),
            public_comment: self.public_comment.filter(|c| !c.trim().is_empty()),
            obfuscate: self.obfuscate,
        })
    }
}

fn describe(b: &NewDomainBlock) -> String {
    let mut d = b.severity.clone();
    if b.reject_media {
        d.push_str(", reject_media");
    }
    if b.reject_reports {
        d.push_str(", reject_reports");
    }
    d
}

/// Writes blocks and purges what Roadie holds of the suspended ones, in one transaction.
async fn write(
    db: &Db,
    who: &str,
    action: &'static str,
    blocks: Vec<NewDomainBlock>,
) -> Result<Vec<DomainBlockRow>, DomainError> {
    let suspended: Vec<String> = blocks
        .iter()
        .filter(|b| b.severity == Severity::Suspend.as_str())
        .map(|b| b.domain.clone())
        .collect();
    let purge = move |host: &str| {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        suspended.iter().any(|d| host_matches(&host, d))
    };
    let audit: Vec<Audit> = blocks
        .iter()
        .map(|b| Audit {
            actor: who.to_owned(),
            action,
            target: b.domain.clone(),
            detail: describe(b),
        })
        .collect();
    Ok(db::moderation::write_blocks(db, &blocks, &purge, &audit).await?)
}

/// Adds a block; an existing block of the same domain is a conflict (as in Mastodon).
pub async fn add_block(
    db: &Db,
    who: &str,
    input: BlockInput,
) -> Result<DomainBlockRow, DomainError> {
    let block = input.into_new()?;
    if db::moderation::block_by_domain(db, &block.domain)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict(format!(
            "{} is blocked already",
            block.domain
        )));
    }
    let mut rows = write(db, who, "domain_block.create", vec![block]).await?;
    rows.pop()
        .ok_or_else(|| DomainError::Internal("block not written".to_owned()))
}

/// Changes an existing block (its domain stays).
pub async fn update_block(
    db: &Db,
    who: &str,
    id: i64,
    mut input: BlockInput,
) -> Result<DomainBlockRow, DomainError> {
    let existing = db::moderation::block_by_id(db, id)
        .await?
        .ok_or(DomainError::NotFound("domain block"))?;
    input.domain = existing.domain;
    let mut rows = write(db, who, "domain_block.update", vec![input.into_new()?]).await?;
    rows.pop()
        .ok_or_else(|| DomainError::Internal("block not written".to_owned()))
}

/// Lifts a block. Removed followers and interactions do not come back.
pub async fn remove_block(db: &Db, who: &str, id: i64) -> Result<DomainBlockRow, DomainError> {
    let existing = db::moderation::block_by_id(db, id)
        .await?
        .ok_or(DomainError::NotFound("domain block"))?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "domain_block.delete",
        target: existing.domain.clone(),
        detail: existing.severity.clone(),
    }];
    if !db::moderation::delete_block(db, id, &audit).await? {
        return Err(DomainError::NotFound("domain block"));
    }
    Ok(existing)
}

/// The header of Mastodon's domain block CSV.
pub const CSV_HEADER: &str =
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate";

/// Parses Mastodon's domain block CSV. Every bad row is reported with its line number; the
/// result is all rows or none.
pub fn parse_csv(text: &str) -> Result<Vec<BlockInput>, DomainError> {
    let records = csv_records(text).map_err(DomainError::Invalid)?;
    let mut rows = records.into_iter();
    let Some((_, header)) = rows.next() else {
        return Err(DomainError::Invalid("the file is empty".to_owned()));
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_owned()).collect();
    let expected: Vec<&str> = CSV_HEADER.split(',').collect();
    if header != expected {
        return Err(DomainError::Invalid(format!(
            "line 1: the header must be {CSV_HEADER}"
        )));
    }
    let mut errors = Vec::new();
    let mut blocks: Vec<BlockInput> = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (line, fields) in rows {
        if fields.len() == 1 && fields[0].trim().is_empty() {
            continue;
        }
        match parse_row(&fields) {
            Ok(block) => match seen.insert(block.domain.clone(), line) {
                Some(first) => errors.push(format!(
                    "line {line}: {} is listed already on line {first}",
                    block.domain
                )),
                None => blocks.push(block),
            },
            Err(e) => errors.push(format!("line {line}: {e}")),
        }
    }
    if errors.is_empty() {
        Ok(blocks)
    } else {
        Err(DomainError::Invalid(errors.join("; ")))
    }
}

fn parse_row(fields: &[String]) -> Result<BlockInput, String> {
    if fields.len() != 6 {
        return Err(format!("expected 6 fields, found {}", fields.len()));
    }
    let flag = |i: usize, name: &str| match fields[i].trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        other => Err(format!("{name} must be true or false, not {other:?}")),
    };
    let domain = normalize_domain(&fields[0]).map_err(|e| e.to_string())?;
    Ok(BlockInput {
        domain,
        severity: Severity::parse(&fields[1]).map_err(|e| e.to_string())?,
        reject_media: flag(2, "#reject_media")?,
        reject_reports: flag(3, "#reject_reports")?,
        private_comment: None,
        public_comment: Some(fields[4].clone()),
        obfuscate: flag(5, "#obfuscate")?,
    })
}

/// RFC 4180 records with the line each starts on (quoted fields may hold commas, quotes
/// doubled, and line breaks).
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut at_field_start = true;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                in_quotes = true;
                at_field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((start_line, std::mem::take(&mut fields)));
                line += 1;
                start_line = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if in_quotes {
        return Err(format!("line {start_line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    Ok(records)
}

fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Imports Mastodon's CSV in one transaction: new domains are added, listed ones updated (their
/// private comment is kept). Returns the rows written.
pub async fn import_csv(
    db: &Db,
    who: &str,
    text: &str,
) -> Result<Vec<DomainBlockRow>, DomainError> {
    let inputs = parse_csv(text)?;
    let existing = db::moderation::list_blocks(db).await?;
    let mut blocks = Vec::with_capacity(inputs.len());
    for mut input in inputs {
        input.private_comment = existing
            .iter()
            .find(|e| e.domain == input.domain)
            .and_then(|e| e.private_comment.clone());
        blocks.push(input.into_new()?);
    }
    write(db, who, "domain_block.import", blocks).await
}

/// Every block in Mastodon's CSV format.
pub async fn export_csv(db: &Db) -> Result<String, DomainError> {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for b in db::moderation::list_blocks(db).await? {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            csv_field(&b.domain),
            b.severity,
            b.reject_media,
            b.reject_reports,
            csv_field(b.public_comment.as_deref().unwrap_or("")),
            b.obfuscate
        ));
    }
    Ok(out)
}

/// Adds a domain to the allowlist.
pub async fn allow_domain(
    db: &Db,
    who: &str,
    raw: &str,
) -> Result<db::moderation::DomainAllowRow, DomainError> {
    let domain = normalize_domain(raw)?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "domain_allow.create",
        target: domain.clone(),
        detail: String::new(),
    }];
    Ok(db::moderation::insert_allow(db, &domain, &audit).await?)
}

pub async fn remove_allow(db: &Db, who: &str, id: i64) -> Result<(), DomainError> {
    let row = db::moderation::list_allows(db)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(DomainError::NotFound("allowed domain"))?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "domain_allow.delete",
        target: row.domain,
        detail: String::new(),
    }];
    if db::moderation::delete_allow(db, id, &audit).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound("allowed domain"))
    }
}

/// Blocks one remote actor instance-wide: their follows, boosts, likes and replies are removed
/// and the inbox refuses them from now on.
pub async fn block_actor(
    db: &Db,
    who: &str,
    actor_id: &str,
    comment: &str,
) -> Result<db::moderation::ActorBlockRow, DomainError> {
    let url = Url::parse(actor_id.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| DomainError::Invalid("actor must be an http(s) actor id".to_owned()))?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "actor_block.create",
        target: url.to_string(),
        detail: comment.to_owned(),
    }];
    Ok(db::moderation::insert_actor_block(db, url.as_str(), comment, &audit).await?)
}

pub async fn unblock_actor(db: &Db, who: &str, id: i64) -> Result<(), DomainError> {
    let row = db::moderation::list_actor_blocks(db)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or(DomainError::NotFound("actor block"))?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "actor_block.delete",
        target: row.actor_ap_id,
        detail: String::new(),
    }];
    if db::moderation::delete_actor_block(db, id, &audit).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound("actor block"))
    }
}

/// Creates an admin API token labelled `label` (the name the audit log shows) and returns it
/// (shown once). Admin tokens are a kind of their own, so a later account system can issue
/// them to users with an admin role without touching artist tokens.
pub async fn create_admin_token(db: &Db, label: &str) -> Result<String, DomainError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(DomainError::Invalid(
            "the label must be 1-100 characters".to_owned(),
        ));
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = format!("roadie_admin_{}", hex::encode(bytes));
    db::moderation::insert_admin_token(db, label, &super::artists::token_hash(&token)).await?;
    db::moderation::audit(
        db,
        &[Audit {
            actor: "cli".to_owned(),
            action: "admin_token.create",
            target: label.to_owned(),
            detail: String::new(),
        }],
    )
    .await?;
    Ok(token)
}

/// The label of an admin token, if `token` is one.
pub async fn admin_for_token(db: &Db, token: &str) -> Result<Option<String>, DomainError> {
    Ok(db::moderation::admin_label_for_hash(db, &super::artists::token_hash(token)).await?)
}

/// Stores a report received as a `Flag` (once per `Flag` id). Returns whether it was new.
pub async fn receive_report(
    db: &Db,
    flag_id: &str,
    reporter: &str,
    target_actor: Option<String>,
    objects: &[String],
    comment: &str,
) -> Result<bool, DomainError> {
    Ok(db::moderation::insert_report(
        db,
        &NewReport {
            direction: "in".to_owned(),
            ap_id: flag_id.to_owned(),
            origin: reporter.to_owned(),
            target_actor,
            object_ids: serde_json::to_string(objects).unwrap_or_else(|_| "[]".to_owned()),
            comment: comment.to_owned(),
            created_at: db::now(),
        },
    )
    .await?)
}

/// Who reports a remote actor: an admin (any reply), or an artist (replies to their own work).
// Made once per report and passed by reference: boxing the artist would gain nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Reporter {
    Admin(String),
    Artist(Artist),
}

impl Reporter {
    fn name(&self) -> String {
        match self {
            Reporter::Admin(label) => label.clone(),
            Reporter::Artist(a) => format!("artist:{}", a.username),
        }
    }
}

/// Reports a remote actor (optionally naming some of their replies) to their server: stores the
/// report and a `Flag` from the instance actor, delivered through the queue. `actor` may be
/// omitted when replies are named; every reply must be by the same actor.
pub async fn report_remote(
    db: &Db,
    publisher: &dyn Publisher,
    reporter: &Reporter,
    actor: Option<&str>,
    reply_ids: &[i64],
    comment: &str,
) -> Result<db::moderation::ReportRow, DomainError> {
    let mut target: Option<RemoteActorRow> = match actor {
        Some(id) => Some(
            db::remote_actors::by_ap_id(db, id.trim())
                .await?
                .ok_or(DomainError::NotFound("remote actor"))?,
        ),
        None => None,
    };
    let mut objects = Vec::new();
    for &id in reply_ids.iter().take(50) {
        let found = match reporter {
            Reporter::Artist(artist) => {
                db::interactions::reply_of_artist(db, artist.id, id).await?
            }
            Reporter::Admin(_) => db::interactions::reply_with_author(db, id).await?,
        };
        let (reply, author) = found.ok_or(DomainError::NotFound("reply"))?;
        match &target {
            Some(t) if t.id != author.id => {
                return Err(DomainError::Invalid(
                    "every reported reply must be by the reported actor".to_owned(),
                ))
            }
            Some(_) => {}
            None => target = Some(author),
        }
        objects.push(reply.ap_id);
    }
    let target = target.ok_or_else(|| {
        DomainError::Invalid("name the actor or at least one of their replies".to_owned())
    })?;
    let comment: String = comment.chars().take(1000).collect();
    let outgoing = publisher.report_sent(&target, &objects, &comment);
    let who = reporter.name();
    let row = db::moderation::insert_sent_report(
        db,
        &NewReport {
            direction: "out".to_owned(),
            ap_id: outgoing.ap_id.clone(),
            origin: who.clone(),
            target_actor: Some(target.ap_id.clone()),
            object_ids: serde_json::to_string(&objects).unwrap_or_else(|_| "[]".to_owned()),
            comment,
            created_at: db::now(),
        },
        &outgoing,
        &[Audit {
            actor: who,
            action: "report.create",
            target: target.ap_id.clone(),
            detail: format!("{} object(s)", objects.len()),
        }],
    )
    .await?;
    publisher.queued();
    Ok(row)
}

/// Marks a report resolved.
pub async fn resolve_report(db: &Db, who: &str, id: i64) -> Result<(), DomainError> {
    let report = db::moderation::report_by_id(db, id)
        .await?
        .ok_or(DomainError::NotFound("report"))?;
    if report.resolved_at.is_some() {
        return Err(DomainError::Conflict(
            "the report is resolved already".to_owned(),
        ));
    }
    let audit = [Audit {
        actor: who.to_owned(),
        action: "report.resolve",
        target: format!("report {id}"),
        detail: report.target_actor.unwrap_or_default(),
    }];
    if db::moderation::resolve_report(db, id, who, &audit).await? {
        Ok(())
    } else {
        Err(DomainError::Conflict(
            "the report is resolved already".to_owned(),
        ))
    }
}

/// Suspends a local artist: `Update` then `Delete` of the actor go to followers' servers (which
/// then drop the account and its follows); pages and documents answer 410 from now on. The
/// `Delete` is due `delete_delay` after the `Update`. The `reason` goes into the audit log.
pub async fn suspend_artist(
    db: &Db,
    publisher: &dyn Publisher,
    who: &str,
    username: &str,
    reason: &str,
    delete_delay: std::time::Duration,
) -> Result<(), DomainError> {
    let artist = db::artists::by_username(db, username)
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    let announce = vec![
        publisher.actor_updated(&artist),
        publisher.actor_deleted(&artist),
    ];
    let audit = [Audit {
        actor: who.to_owned(),
        action: "artist.suspend",
        target: artist.username.clone(),
        detail: reason.trim().chars().take(1000).collect(),
    }];
    let spacing = chrono::Duration::from_std(delete_delay).unwrap_or(chrono::Duration::seconds(30));
    if !db::moderation::suspend_artist(db, artist.id, announce, spacing, &audit).await? {
        return Err(DomainError::Conflict(format!(
            "{username} is suspended already"
        )));
    }
    publisher.queued();
    Ok(())
}

/// Lifts a suspension: pages and documents come back. Servers that received the `Delete` have
/// dropped the account; fans must follow again.
pub async fn unsuspend_artist(db: &Db, who: &str, username: &str) -> Result<(), DomainError> {
    let artist = db::artists::by_username(db, username)
        .await?
        .ok_or(DomainError::NotFound("artist"))?;
    let audit = [Audit {
        actor: who.to_owned(),
        action: "artist.unsuspend",
        target: artist.username.clone(),
        detail: String::new(),
    }];
    if db::moderation::unsuspend_artist(db, artist.id, &audit).await? {
        Ok(())
    } else {
        Err(DomainError::Conflict(format!(
            "{username} is not suspended"
        )))
    }
}

/// Suspends a web user (`Some(reason)`) or lifts the suspension (`None`). A suspended user
/// cannot log in and loses every session at once; their artists are not touched (suspend those
/// on their own). An admin cannot suspend themselves, so an instance never locks itself out.
pub async fn set_user_suspension(
    db: &Db,
    who: &str,
    acting_user_id: Option<i64>,
    user_id: i64,
    reason: Option<&str>,
) -> Result<(), DomainError> {
    let user = db::users::by_id(db, user_id)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    if reason.is_some() && acting_user_id == Some(user.id) {
        return Err(DomainError::Conflict(
            "you cannot suspend your own account".to_owned(),
        ));
    }
    match (reason.is_some(), user.suspended_at.is_some()) {
        (true, true) => {
            return Err(DomainError::Conflict(format!(
                "{} is already suspended",
                user.username
            )))
        }
        (false, false) => {
            return Err(DomainError::Conflict(format!(
                "{} is not suspended",
                user.username
            )))
        }
        _ => {}
    }
    let audit = [Audit {
        actor: who.to_owned(),
        action: if reason.is_some() {
            "user.suspend"
        } else {
            "user.unsuspend"
        },
        target: user.username.clone(),
        detail: reason.unwrap_or_default().trim().to_owned(),
    }];
    let since = reason.map(|_| db::now());
    db::moderation::set_user_suspended(db, user.id, since, &audit).await?;
    Ok(())
}

/// Whether the artist named `username` is suspended (false for unknown names).
pub async fn artist_suspended(db: &Db, username: &str) -> DbResult<bool> {
    Ok(artist_status(db, username).await?.unwrap_or(false))
}

/// Whether the artist named `username` is suspended, or `None` when there is no such artist.
pub async fn artist_status(db: &Db, username: &str) -> DbResult<Option<bool>> {
    match db::artists::by_username(db, username).await? {
        Some(a) => Ok(Some(
            db::moderation::artist_suspended_at(db, a.id)
                .await?
                .is_some(),
        )),
        None => Ok(None),
    }
}

/// An admin removes a reply: it disappears from every page and API answer.
pub async fn remove_reply(db: &Db, who: &str, id: i64) -> Result<(), DomainError> {
    let (reply, author) = db::interactions::reply_with_author(db, id)
        .await?
        .ok_or(DomainError::NotFound("reply"))?;
    db::interactions::moderate_reply(db, reply.id, reply.hidden, true).await?;
    db::moderation::audit(
        db,
        &[Audit {
            actor: who.to_owned(),
            action: "reply.remove",
            target: reply.ap_id,
            detail: author.ap_id,
        }],
    )
    .await?;
    Ok(())
}

/// The newest audit entries.
pub async fn audit_log(db: &Db, limit: i64) -> Result<Vec<db::moderation::AuditRow>, DomainError> {
    Ok(db::moderation::audit_entries(db, limit.clamp(1, 500)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised() {
        assert_eq!(normalize_domain("Evil.EXAMPLE").unwrap(), "evil.example");
        assert_eq!(normalize_domain("evil.example.").unwrap(), "evil.example");
        assert_eq!(
            normalize_domain(" *.evil.example ").unwrap(),
            "evil.example"
        );
        assert_eq!(
            normalize_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            normalize_domain("BÜCHER.example.").unwrap(),
            "xn--bcher-kva.example"
        );
        for bad in [
            "",
            "a b",
            "x.example/path",
            "me@x.example",
            "x.example:443",
            ".",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn subdomains_match_but_lookalikes_do_not() {
        assert!(host_matches("evil.example", "evil.example"));
        assert!(host_matches("a.b.evil.example", "evil.example"));
        assert!(!host_matches("notevil.example", "evil.example"));
        assert!(!host_matches("evil.example.org", "evil.example"));
        assert_eq!(
            candidates("A.b.Example."),
            vec!["a.b.example", "b.example", "example"]
        );
        let url = Url::parse("https://SUB.Bücher.example./users/x").unwrap();
        assert_eq!(url_host(&url).unwrap(), "sub.xn--bcher-kva.example");
    }

    #[test]
    fn csv_reports_every_bad_line() {
        let text = format!(
            "{CSV_HEADER}\nok.example,suspend,false,false,,false\nbad example,suspend,false,false,,false\n\
             x.example,ban,false,false,,false\n\"quoted.example\",silence,true,true,\"spam, lots\",false\n"
        );
        let err = parse_csv(&text).unwrap_err().to_string();
        assert!(err.contains("line 3:") && err.contains("line 4:"), "{err}");
        assert!(
            !err.contains("line 2:") && !err.contains("line 5:"),
            "{err}"
        );
        let good = format!("{CSV_HEADER}\r\na.example,noop,true,false,\"say \"\"hi\"\"\nthere\",true\r\nb.example,suspend,false,true,,false\r\n");
        let rows = parse_csv(&good).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].public_comment.as_deref(), Some("say \"hi\"\nthere"));
        assert!(rows[0].obfuscate && rows[0].reject_media);
        assert_eq!(rows[1].severity, Severity::Suspend);
        assert!(parse_csv("domain,severity\nx.example,suspend\n").is_err());
    }
}
