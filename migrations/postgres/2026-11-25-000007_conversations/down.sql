DROP TABLE leaderboard_optouts;
ALTER TABLE posts DROP COLUMN mentions;
ALTER TABLE posts DROP COLUMN in_reply_to;
