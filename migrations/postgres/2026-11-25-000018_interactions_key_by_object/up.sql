-- The one-per-fan key now leads with the object, so it also serves an object's counts, and the
-- separate interactions_object index, one more index written for every boost and like, goes.
ALTER TABLE interactions DROP CONSTRAINT interactions_kind_object_kind_object_id_remote_actor_id_key;
ALTER TABLE interactions
    ADD CONSTRAINT interactions_one_per_fan UNIQUE (object_kind, object_id, kind, remote_actor_id);
DROP INDEX interactions_object;
