ALTER TABLE artists DROP COLUMN header_file;
ALTER TABLE artists DROP COLUMN avatar_file;
