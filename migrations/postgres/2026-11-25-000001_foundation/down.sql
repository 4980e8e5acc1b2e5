DROP TABLE received_activities;
DROP TABLE outbox_activities;
DROP TABLE posts;
DROP TABLE follows;
DROP TABLE remote_actors;
DROP TABLE api_tokens;
DROP TABLE instance_keys;
DROP TABLE artists;
