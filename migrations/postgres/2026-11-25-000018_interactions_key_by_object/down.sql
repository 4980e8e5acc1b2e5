CREATE INDEX interactions_object ON interactions (object_kind, object_id, kind);
ALTER TABLE interactions DROP CONSTRAINT interactions_one_per_fan;
ALTER TABLE interactions ADD UNIQUE (kind, object_kind, object_id, remote_actor_id);
