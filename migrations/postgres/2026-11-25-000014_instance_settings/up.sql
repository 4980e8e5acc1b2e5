-- What the admin says about the instance (one row, written by /admin/instance). Empty text
-- means "not set": the name then falls back to the domain.
CREATE TABLE instance_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    -- Markdown as typed, and the sanitised HTML made from it.
    description TEXT NOT NULL,
    description_html TEXT NOT NULL,
    -- One rule per line.
    rules TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    contact_account TEXT NOT NULL,
    -- 'invite' (people join with an admin's invite link) or 'closed' (nobody joins).
    registrations TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
