-- One row per (activity, inbox): the persistent delivery queue.
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

-- Health of remote hosts we deliver to.
CREATE TABLE hosts (
    host TEXT PRIMARY KEY NOT NULL,
    -- Distinct days with failed deliveries since the last success.
    failure_days INTEGER NOT NULL DEFAULT 0,
    last_failure_day TEXT,
    last_error TEXT,
    unavailable_since TIMESTAMP,
    last_success_at TIMESTAMP
);
