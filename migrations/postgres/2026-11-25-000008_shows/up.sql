-- Tour dates.
CREATE TABLE shows (
    id BIGSERIAL PRIMARY KEY,
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    -- UTC; shown in `timezone`.
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP,
    doors_at TIMESTAMP,
    -- IANA time zone of the venue, e.g. Europe/Berlin.
    timezone TEXT NOT NULL,
    venue_name TEXT NOT NULL,
    street_address TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    -- ISO 3166-1 alpha-2.
    country TEXT NOT NULL,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    ticket_url TEXT,
    price_note TEXT NOT NULL DEFAULT '',
    -- JSON list of names.
    support_acts TEXT NOT NULL DEFAULT '[]',
    poster_media_id TEXT REFERENCES media(id),
    -- scheduled | postponed | rescheduled | cancelled | soldout
    status TEXT NOT NULL,
    description_source TEXT NOT NULL DEFAULT '',
    description_html TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX shows_by_artist ON shows (artist_id, starts_at);
CREATE INDEX shows_upcoming ON shows (starts_at) WHERE deleted_at IS NULL;
