CREATE TABLE interactions_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    object_kind TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    activity_ap_id TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, object_kind, object_id, remote_actor_id)
);
INSERT INTO interactions_old (id, kind, artist_id, object_kind, object_id, remote_actor_id, activity_ap_id, created_at)
    SELECT id, kind, artist_id, object_kind, object_id, remote_actor_id, activity_ap_id, created_at
    FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_old RENAME TO interactions;
CREATE INDEX interactions_object ON interactions (object_kind, object_id, kind);
CREATE INDEX interactions_artist ON interactions (artist_id, kind, created_at);
