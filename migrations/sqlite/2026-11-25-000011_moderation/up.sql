-- Domain blocks, Mastodon-style: severity noop | silence | suspend. `domain` is normalised
-- (lower case, punycode, no trailing dot) and covers every subdomain.
CREATE TABLE domain_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Tokens of the admin API. Only SHA-256 hashes are stored; `label` names who acts in the audit log.
CREATE TABLE admin_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Every admin action: who (token label or "cli"), what, on what, when.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);

-- Remote actors blocked instance-wide (by ActivityPub id).
CREATE TABLE actor_blocks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_ap_id TEXT NOT NULL UNIQUE,
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);

-- Reports: received as a `Flag` (direction 'in') or sent by Roadie (direction 'out').
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- Activities of the instance actor (a `Flag`) belong to no artist. SQLite cannot drop NOT NULL,
-- so the table is rebuilt; the queue is set aside first because dropping the old table would
-- cascade into it.
CREATE TABLE deliveries_keep AS SELECT * FROM deliveries;
DROP TABLE deliveries;
CREATE TABLE outbox_activities_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id TEXT NOT NULL UNIQUE,
    artist_id BIGINT REFERENCES artists(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    object_ap_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL
);
INSERT INTO outbox_activities_new (id, ap_id, artist_id, kind, object_ap_id, payload, listed, published_at)
    SELECT id, ap_id, artist_id, kind, object_ap_id, payload, listed, published_at FROM outbox_activities;
DROP TABLE outbox_activities;
ALTER TABLE outbox_activities_new RENAME TO outbox_activities;
CREATE INDEX outbox_activities_listed ON outbox_activities (artist_id, listed, id);
CREATE INDEX outbox_activities_object ON outbox_activities (object_ap_id);
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES outbox_activities(id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    -- pending | delivered | failed
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- A worker's claim; expired claims (a crashed worker) become claimable again.
    locked_until TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX deliveries_finished ON deliveries (finished_at) WHERE state <> 'pending';
CREATE INDEX deliveries_host ON deliveries (host) WHERE state = 'pending';
INSERT INTO deliveries SELECT * FROM deliveries_keep;
DROP TABLE deliveries_keep;
