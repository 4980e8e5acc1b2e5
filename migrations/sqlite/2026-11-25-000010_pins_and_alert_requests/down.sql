DROP TABLE alert_requests;
ALTER TABLE shows DROP COLUMN pinned_at;
