-- The one-per-fan key now leads with the object, so it also serves an object's counts, and the
-- separate interactions_object index, one more index written for every boost and like, goes.
-- SQLite cannot change a table's constraints in place: the table is copied into a new one.
CREATE TABLE interactions_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
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
    UNIQUE (object_kind, object_id, kind, remote_actor_id)
);
INSERT INTO interactions_new (id, kind, artist_id, object_kind, object_id, remote_actor_id, activity_ap_id, created_at)
    SELECT id, kind, artist_id, object_kind, object_id, remote_actor_id, activity_ap_id, created_at
    FROM interactions;
DROP TABLE interactions;
ALTER TABLE interactions_new RENAME TO interactions;
CREATE INDEX interactions_artist ON interactions (artist_id, kind, created_at);
