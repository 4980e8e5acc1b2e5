-- An admin can suspend a user account: no log-in, no session, until lifted.
ALTER TABLE users ADD COLUMN suspended_at TIMESTAMP;
