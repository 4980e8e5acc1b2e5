-- Failed log-ins, counted by every process sharing the database (the log-in limit). The key is
-- a SHA-256 of the client address and the lower-cased name: neither is kept in clear.
CREATE TABLE login_failures (
    id BIGSERIAL PRIMARY KEY,
    key_hash TEXT NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key_hash, failed_at);
