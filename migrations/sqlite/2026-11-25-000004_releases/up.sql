-- Releases (albums, EPs, singles…) and their tracks.
CREATE TABLE releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    -- album | ep | single | compilation | live | mixtape | other
    kind TEXT NOT NULL,
    release_date DATE,
    description_source TEXT NOT NULL DEFAULT '',
    description_html TEXT NOT NULL DEFAULT '',
    cover_media_id TEXT REFERENCES media(id),
    -- JSON list of {"kind": "buy"|"stream"|"download", "label", "url", "payment": bool}
    links TEXT NOT NULL DEFAULT '[]',
    -- JSON list of hashtag names without '#'
    hashtags TEXT NOT NULL DEFAULT '[]',
    license TEXT NOT NULL DEFAULT '',
    credits TEXT NOT NULL DEFAULT '',
    -- draft | scheduled | published
    state TEXT NOT NULL,
    publish_at TIMESTAMP,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX releases_by_artist ON releases (artist_id, id);
CREATE INDEX releases_scheduled ON releases (publish_at) WHERE state = 'scheduled';

CREATE TABLE tracks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    duration_secs INTEGER,
    preview_media_id TEXT REFERENCES media(id),
    UNIQUE (release_id, position)
);
