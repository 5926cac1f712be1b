import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Checkpoints as C2SP signed notes, and the witnesses' cosignatures on them. Both tables are
 * append-only: no UPDATE, no DELETE, no TRUNCATE (as audit_events).
 */
export class WitnessedCheckpoints1764700000000 implements MigrationInterface {
  name = 'WitnessedCheckpoints1764700000000';

  public async up(q: QueryRunner): Promise<void> {
    // The signed note (c2sp.org/tlog-checkpoint) of each checkpoint; NULL for checkpoints sealed before notes.
    await q.query(`ALTER TABLE audit_checkpoints ADD COLUMN note text`);
    await q.query(`
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
      FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only()`);
    await q.query(`
      CREATE TABLE audit_cosignatures (
        tree_size bigint NOT NULL CHECK (tree_size > 0),
        witness text NOT NULL,
        cosigned_at timestamptz NOT NULL,
        signature_line text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tree_size, witness)
      )`);
    await q.query(`CREATE INDEX audit_cosignatures_witness_idx ON audit_cosignatures (witness, tree_size DESC)`);
    await q.query(`
      CREATE FUNCTION audit_cosignatures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_cosignatures is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_cosignatures_no_update_delete BEFORE UPDATE OR DELETE ON audit_cosignatures
      FOR EACH ROW EXECUTE FUNCTION audit_cosignatures_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_cosignatures_no_truncate BEFORE TRUNCATE ON audit_cosignatures
      FOR EACH STATEMENT EXECUTE FUNCTION audit_cosignatures_append_only()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_cosignatures`);
    await q.query(`DROP FUNCTION audit_cosignatures_append_only()`);
    await q.query(`DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints`);
    await q.query(`ALTER TABLE audit_checkpoints DROP COLUMN note`);
  }
}
