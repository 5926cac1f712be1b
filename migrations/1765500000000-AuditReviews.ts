import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Auditors' review sign-offs. Each row is written in the same transaction as its `audit.review`
 * event, which carries everything but the free text and the text's SHA-256, so the sealed leaf
 * commits to the conclusion without the log holding free text. Rows are append-only.
 */
export class AuditReviews1765500000000 implements MigrationInterface {
  name = 'AuditReviews1765500000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_reviews (
        id uuid PRIMARY KEY,
        audit_event_id bigint NOT NULL UNIQUE REFERENCES audit_events(id),
        reviewer_id uuid NOT NULL REFERENCES users(id),
        organization_id uuid NOT NULL REFERENCES organizations(id),
        kind text NOT NULL CHECK (kind IN ('period', 'finding')),
        period_from date,
        period_to date,
        event_ids bigint[] NOT NULL DEFAULT '{}',
        anomaly text,
        conclusion text NOT NULL CHECK (char_length(conclusion) BETWEEN 1 AND 2000),
        conclusion_sha256 bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (kind <> 'period' OR (period_from IS NOT NULL AND period_to IS NOT NULL AND period_from <= period_to)),
        CHECK (kind <> 'finding' OR cardinality(event_ids) > 0 OR anomaly IS NOT NULL)
      )`);
    await q.query(`
      CREATE FUNCTION audit_reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_reviews is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_reviews_no_update_delete BEFORE UPDATE OR DELETE ON audit_reviews
      FOR EACH ROW EXECUTE FUNCTION audit_reviews_append_only()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_reviews`);
    await q.query(`DROP FUNCTION audit_reviews_append_only()`);
  }
}
