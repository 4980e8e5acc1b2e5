-- Boosts (Announce) and likes of artists' posts and releases by remote actors.
CREATE TABLE interactions (
    id BIGSERIAL PRIMARY KEY,
    -- announce | like
    kind TEXT NOT NULL,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    -- post | release
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    -- The Announce/Like activity, so an Undo naming only its id can be matched.
    activity_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    -- One boost (or like) per fan per object, however often it is sent.
    UNIQUE (kind, object_kind, object_id, remote_actor_id)
);
CREATE INDEX interactions_object ON interactions (object_kind, object_id, kind);
CREATE INDEX interactions_artist ON interactions (artist_id, kind, created_at);

-- Replies from the fediverse to an artist's posts and releases (and to replies under them).
CREATE TABLE replies (
    id BIGSERIAL PRIMARY KEY,
    ap_id TEXT NOT NULL UNIQUE,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    in_reply_to TEXT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    url TEXT,
    -- Sanitised HTML.
    content_html TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP,
    deleted_at TIMESTAMP,
    hidden BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX replies_object ON replies (object_kind, object_id, published_at);
