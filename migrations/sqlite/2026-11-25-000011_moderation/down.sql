-- outbox_activities.artist_id stays nullable (rebuilding it again gains nothing).
DELETE FROM outbox_activities WHERE artist_id IS NULL;
ALTER TABLE artists DROP COLUMN suspended_at;
DROP TABLE reports;
DROP TABLE actor_blocks;
DROP TABLE audit_log;
DROP TABLE admin_tokens;
DROP TABLE domain_allows;
DROP TABLE domain_blocks;
