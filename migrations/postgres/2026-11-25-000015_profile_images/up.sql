-- The artist's avatar and header: stored file names of their own image uploads (`media`),
-- served under /media/ and sent as the actor's `icon` and `image`. NULL = none.
ALTER TABLE artists ADD COLUMN avatar_file TEXT;
ALTER TABLE artists ADD COLUMN header_file TEXT;
