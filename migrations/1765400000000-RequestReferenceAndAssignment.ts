import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A short reference number per request (依頼番号, `REQ-000123`), drawn from a sequence by the
 * column's default so every insert gets one without naming it; existing requests are numbered in
 * the order they were received. And the officer who took a request (担当): who and since when,
 * empty while nobody has.
 */
export class RequestReferenceAndAssignment1765400000000 implements MigrationInterface {
  name = 'RequestReferenceAndAssignment1765400000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE info_request_reference_seq AS bigint START 1`);
    // Six digits at least, more once the sequence passes 999999 (lpad alone would cut them).
    await q.query(`
      CREATE FUNCTION next_request_reference() RETURNS text LANGUAGE sql VOLATILE AS $$
        SELECT 'REQ-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
          FROM (SELECT nextval('info_request_reference_seq') AS n) s
      $$`);
    await q.query(`ALTER TABLE info_requests ADD COLUMN reference text`);
    await q.query(`
      UPDATE info_requests r SET reference = numbered.ref
        FROM (SELECT id, next_request_reference() AS ref FROM (SELECT id FROM info_requests ORDER BY created_at, id) o) numbered
       WHERE numbered.id = r.id`);
    await q.query(`ALTER TABLE info_requests ALTER COLUMN reference SET DEFAULT next_request_reference(), ALTER COLUMN reference SET NOT NULL`);
    await q.query(`ALTER TABLE info_requests ADD CONSTRAINT info_requests_reference_key UNIQUE (reference)`);
    await q.query(`ALTER SEQUENCE info_request_reference_seq OWNED BY info_requests.reference`);

    await q.query(`ALTER TABLE info_requests ADD COLUMN assigned_to uuid REFERENCES users(id), ADD COLUMN assigned_at timestamptz`);
    await q.query(`ALTER TABLE info_requests ADD CONSTRAINT info_requests_assignment_ck CHECK ((assigned_to IS NULL) = (assigned_at IS NULL))`);
    await q.query(`CREATE INDEX info_requests_assigned_idx ON info_requests (holder_org_id, assigned_to) WHERE assigned_to IS NOT NULL`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE info_requests DROP COLUMN assigned_at, DROP COLUMN assigned_to`);
    await q.query(`ALTER TABLE info_requests DROP COLUMN reference`);
    await q.query(`DROP FUNCTION next_request_reference()`);
    await q.query(`DROP SEQUENCE IF EXISTS info_request_reference_seq`);
  }
}
