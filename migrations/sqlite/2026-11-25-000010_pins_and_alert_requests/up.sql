-- A show the artist pinned to their profile (the actor's `featured` collection); NULL = not pinned.
ALTER TABLE shows ADD COLUMN pinned_at TIMESTAMP;

-- Alert requests made on the web page, waiting for the fan to confirm them by direct message, so
-- that nobody can subscribe someone else. Confirming turns one into an alert_subscriptions row.
CREATE TABLE alert_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    place TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    radius_km DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (artist_id, remote_actor_id)
);
