-- A fan's pass link code: short, stable, and not their handle in clear.
CREATE TABLE pass_links (
    code TEXT PRIMARY KEY NOT NULL,
    -- user@host, lower-case.
    handle TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Visits through a pass link: one per visitor, object and day. No IP is stored, only a hash
-- salted with a secret that changes every day.
CREATE TABLE pass_visits (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL REFERENCES pass_links(code) ON DELETE CASCADE,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    visitor_hash TEXT NOT NULL,
    day TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (code, object_kind, object_id, visitor_hash, day)
);
CREATE INDEX pass_visits_artist ON pass_visits (artist_id, created_at);

-- The daily salts; older ones are deleted, so yesterday's hashes cannot be recomputed.
CREATE TABLE visit_salts (
    day TEXT PRIMARY KEY NOT NULL,
    salt TEXT NOT NULL
);
