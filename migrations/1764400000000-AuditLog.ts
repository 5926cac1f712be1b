import { MigrationInterface, QueryRunner } from 'typeorm';

export class AuditLog1764400000000 implements MigrationInterface {
  name = 'AuditLog1764400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_events ADD COLUMN leaf_hash bytea`);
    await q.query(`ALTER TABLE audit_events ADD CONSTRAINT audit_events_sealed_together CHECK ((leaf_index IS NULL) = (leaf_hash IS NULL))`);
    // Sealing sets leaf_index and leaf_hash once, together; nothing else may change, ever.
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE'
           AND OLD.leaf_index IS NULL AND OLD.leaf_hash IS NULL
           AND NEW.leaf_index IS NOT NULL AND NEW.leaf_hash IS NOT NULL
           AND (to_jsonb(NEW) - 'leaf_index' - 'leaf_hash') = (to_jsonb(OLD) - 'leaf_index' - 'leaf_hash') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TABLE audit_checkpoints (
        tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
        root_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        key_id text NOT NULL,
        signature text NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_checkpoints is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
      FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()`);
    await q.query(`CREATE INDEX audit_events_outcome_idx ON audit_events (outcome, id)`);
    await q.query(`CREATE INDEX audit_events_resource_idx ON audit_events (resource_type, id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_events_resource_idx`);
    await q.query(`DROP INDEX audit_events_outcome_idx`);
    await q.query(`DROP TABLE audit_checkpoints`);
    await q.query(`DROP FUNCTION audit_checkpoints_append_only()`);
    await q.query(`ALTER TABLE audit_events DROP CONSTRAINT audit_events_sealed_together`);
    await q.query(`ALTER TABLE audit_events DROP COLUMN leaf_hash`);
  }
}
