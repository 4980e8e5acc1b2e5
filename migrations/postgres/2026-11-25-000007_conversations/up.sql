-- Posts that answer someone (a fan's reply, a direct message) and whom they mention.
ALTER TABLE posts ADD COLUMN in_reply_to TEXT;
-- JSON list of {"href", "name", "inbox", "host"}.
ALTER TABLE posts ADD COLUMN mentions TEXT NOT NULL DEFAULT '[]';

-- Fans who asked not to appear on an artist's public leaderboard ("hide me").
CREATE TABLE leaderboard_optouts (
    artist_id BIGINT NOT NULL REFERENCES artists(id) ON DELETE CASCADE,
    handle TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (artist_id, handle)
);
