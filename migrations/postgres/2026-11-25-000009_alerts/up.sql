-- "Coming to your town": a fan's wish to hear about an artist's shows near a place. Only the fan
-- and Roadie know the place; artists see counts per place.
CREATE TABLE alert_subscriptions (
    id BIGSERIAL PRIMARY KEY,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    -- e.g. "Leeds, GB"
    place TEXT NOT NULL,
    latitude DOUBLE PRECISION NOT NULL,
    longitude DOUBLE PRECISION NOT NULL,
    radius_km DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (artist_id, remote_actor_id)
);

-- Alerts sent, so each fan hears about each show (and each change of it) once.
CREATE TABLE alerts_sent (
    show_id BIGINT NOT NULL REFERENCES shows(id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    change_key TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (show_id, remote_actor_id, change_key)
);
