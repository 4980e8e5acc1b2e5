-- Uploaded files: images (covers, posters, avatars) and audio previews.
CREATE TABLE media (
    -- Random; also the stored file's name, so no user input reaches a path.
    id TEXT PRIMARY KEY NOT NULL,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    -- image | audio
    kind TEXT NOT NULL,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    width INTEGER,
    height INTEGER,
    duration_ms BIGINT,
    blurhash TEXT,
    thumbnail_file TEXT,
    alt_text TEXT NOT NULL DEFAULT '',
    focal_x DOUBLE PRECISION,
    focal_y DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX media_by_artist ON media (artist_id);
