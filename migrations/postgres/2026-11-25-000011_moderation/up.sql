-- Domain blocks, Mastodon-style: severity noop | silence | suspend. `domain` is normalised
-- (lower case, punycode, no trailing dot) and covers every subdomain.
CREATE TABLE domain_blocks (
    id BIGSERIAL PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE,
    severity TEXT NOT NULL,
    reject_media BOOLEAN NOT NULL DEFAULT FALSE,
    reject_reports BOOLEAN NOT NULL DEFAULT FALSE,
    private_comment TEXT,
    public_comment TEXT,
    obfuscate BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Domains that federate in allowlist mode (with their subdomains).
CREATE TABLE domain_allows (
    id BIGSERIAL PRIMARY KEY,
    domain TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Tokens of the admin API. Only SHA-256 hashes are stored; `label` names who acts in the audit log.
CREATE TABLE admin_tokens (
    id BIGSERIAL PRIMARY KEY,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Every admin action: who (token label or "cli"), what, on what, when.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);

-- Remote actors blocked instance-wide (by ActivityPub id).
CREATE TABLE actor_blocks (
    id BIGSERIAL PRIMARY KEY,
    actor_ap_id TEXT NOT NULL UNIQUE,
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

-- Reports: received as a `Flag` (direction 'in') or sent by Roadie (direction 'out').
CREATE TABLE reports (
    id BIGSERIAL PRIMARY KEY,
    direction TEXT NOT NULL,
    -- The Flag activity's id (unique per direction).
    ap_id TEXT NOT NULL UNIQUE,
    -- Who reported: a remote actor id (in), or the token label / artist name (out).
    origin TEXT NOT NULL,
    -- The reported actor (a local artist's id for 'in', a remote actor for 'out'), if any.
    target_actor TEXT,
    -- JSON array of object ids the report names.
    object_ids TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    resolved_at TIMESTAMP,
    resolved_by TEXT,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE artists ADD COLUMN suspended_at TIMESTAMP;

-- Activities of the instance actor (a `Flag`) belong to no artist.
ALTER TABLE outbox_activities ALTER COLUMN artist_id DROP NOT NULL;
