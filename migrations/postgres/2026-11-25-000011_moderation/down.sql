DELETE FROM outbox_activities WHERE artist_id IS NULL;
ALTER TABLE outbox_activities ALTER COLUMN artist_id SET NOT NULL;
ALTER TABLE artists DROP COLUMN suspended_at;
DROP TABLE reports;
DROP TABLE actor_blocks;
DROP TABLE audit_log;
DROP TABLE admin_tokens;
DROP TABLE domain_allows;
DROP TABLE domain_blocks;
