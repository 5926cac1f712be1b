import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox of domain events (written in the same transaction as the change they announce) and
 * the deadline columns of requests and safeguards.
 */
export class Events1764800000000 implements MigrationInterface {
  name = 'Events1764800000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE domain_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        seq bigserial NOT NULL UNIQUE,
        type text NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        subject_type text NOT NULL,
        subject_id uuid NOT NULL,
        organization_ids uuid[] NOT NULL,
        data jsonb NOT NULL,
        dispatched_at timestamptz
      )`);
    await q.query(`CREATE INDEX domain_events_undispatched_idx ON domain_events (seq) WHERE dispatched_at IS NULL`);
    await q.query(`CREATE INDEX domain_events_subject_idx ON domain_events (subject_id, seq)`);

    await q.query(`ALTER TABLE info_requests ADD COLUMN due_at timestamptz`);
    await q.query(`ALTER TABLE info_requests ADD COLUMN due_soon_at timestamptz`);
    await q.query(`ALTER TABLE info_requests ADD COLUMN due_soon_notified_at timestamptz`);
    await q.query(`ALTER TABLE info_requests ADD COLUMN overdue_notified_at timestamptz`);
    await q.query(`ALTER TABLE info_requests ADD COLUMN access_ending_notified_at timestamptz`);
    // Requests made before deadlines existed: two calendar weeks from creation (10 business days, roughly).
    await q.query(`UPDATE info_requests SET due_at = created_at + interval '14 days', due_soon_at = created_at + interval '13 days' WHERE due_at IS NULL`);
    await q.query(`ALTER TABLE info_requests ALTER COLUMN due_at SET NOT NULL`);
    await q.query(`ALTER TABLE info_requests ALTER COLUMN due_soon_at SET NOT NULL`);
    await q.query(`CREATE INDEX info_requests_due_idx ON info_requests (due_at) WHERE status IN ('pending','awaiting_second_approval')`);
    await q.query(`ALTER TABLE safeguards ADD COLUMN expiring_notified_at timestamptz`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE safeguards DROP COLUMN expiring_notified_at`);
    await q.query(`DROP INDEX info_requests_due_idx`);
    for (const c of ['access_ending_notified_at', 'overdue_notified_at', 'due_soon_notified_at', 'due_soon_at', 'due_at']) await q.query(`ALTER TABLE info_requests DROP COLUMN ${c}`);
    await q.query(`DROP TABLE domain_events`);
  }
}
