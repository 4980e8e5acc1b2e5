-- Local artists: the actors this instance hosts.
CREATE TABLE artists (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    manually_approves_followers BOOLEAN NOT NULL DEFAULT FALSE,
    discoverable BOOLEAN NOT NULL DEFAULT TRUE,
    links TEXT NOT NULL DEFAULT '[]',
    avatar_url TEXT,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The instance actor's key pair; exactly one row.
CREATE TABLE instance_keys (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- Cached copies of remote actors (fans and their servers).
CREATE TABLE remote_actors (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    domain TEXT NOT NULL,
    display_name TEXT,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    public_key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    url TEXT,
    fetched_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_actors_public_key_id ON remote_actors (public_key_id);

CREATE TABLE follows (
    id BIGSERIAL PRIMARY KEY,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    follow_ap_id TEXT NOT NULL,
    accepted BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (artist_id, remote_actor_id)
);
CREATE INDEX follows_follow_ap_id ON follows (follow_ap_id);

CREATE TABLE posts (
    id BIGSERIAL PRIMARY KEY,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    content_source TEXT NOT NULL,
    content_html TEXT NOT NULL,
    visibility TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    deleted_at TIMESTAMP
);
CREATE INDEX posts_by_artist ON posts (artist_id, id);

-- Every activity an artist has sent, as sent; the outbox lists the public ones.
CREATE TABLE outbox_activities (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    object_ap_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    listed BOOLEAN NOT NULL,
    published_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_activities_listed ON outbox_activities (artist_id, listed, id);
CREATE INDEX outbox_activities_object ON outbox_activities (object_ap_id);

-- Ids of activities received, so a repeated delivery has one effect.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY NOT NULL,
    actor_ap_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
