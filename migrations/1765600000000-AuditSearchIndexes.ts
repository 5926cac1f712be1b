import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit search that stays fast as the log grows: every filter column gets an index ordered by
 * (occurred_at, id), the order searches now page in, so a filter alone, or with a time window
 * however far in the past, reads one short range of one index. They replace the (column, id)
 * indexes, which could only serve a time window by walking every newer event of that column.
 * `resource_id` is new: the per-person report finds the events about a person's requests by it,
 * and the requests about a person by `info_requests (record_id)`, also new.
 *
 * Built CONCURRENTLY, outside a transaction: audit events keep being written while a large table
 * is indexed (a plain CREATE INDEX would hold every writer, and so every audited route, until it
 * ends). A build that failed half-way leaves an invalid index, dropped here before building again.
 * When a caller runs it inside a transaction anyway (`migration:revert` always opens one unless
 * given `-t none`), the same statements run without CONCURRENTLY, holding writers for the build.
 */

/** CONCURRENTLY when the statement may run outside a transaction. */
const concurrently = (q: QueryRunner) => (q.isTransactionActive ? '' : 'CONCURRENTLY');
const INDEXES: [name: string, definition: string][] = [
  ['audit_events_actor_time_idx', '(actor_id, occurred_at, id) WHERE actor_id IS NOT NULL'],
  ['audit_events_org_time_idx', '(organization_id, occurred_at, id) WHERE organization_id IS NOT NULL'],
  ['audit_events_action_time_idx', '(action, occurred_at, id)'],
  ['audit_events_resource_time_idx', '(resource_type, occurred_at, id)'],
  ['audit_events_resource_id_time_idx', '(resource_id, occurred_at, id) WHERE resource_id IS NOT NULL'],
  ['audit_events_record_time_idx', '(record_id, occurred_at, id) WHERE record_id IS NOT NULL'],
  ['audit_events_outcome_time_idx', '(outcome, occurred_at, id)'],
];

/** The (column, id) indexes the ones above replace, with their definitions for `down`. */
const REPLACED: [name: string, definition: string][] = [
  ['audit_events_actor_idx', '(actor_id, id)'],
  ['audit_events_org_idx', '(organization_id, id)'],
  ['audit_events_action_idx', '(action, id)'],
  ['audit_events_resource_idx', '(resource_type, id)'],
  ['audit_events_record_idx', '(record_id, id) WHERE record_id IS NOT NULL'],
  ['audit_events_outcome_idx', '(outcome, id)'],
];

async function build(
  q: QueryRunner,
  name: string,
  definition: string,
  table = 'audit_events',
): Promise<void> {
  const [invalid] = (await q.query(
    `SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1 AND NOT i.indisvalid`,
    [name],
  )) as unknown[];
  if (invalid) await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${name}`);
  await q.query(`CREATE INDEX ${concurrently(q)} IF NOT EXISTS ${name} ON ${table} ${definition}`);
}

export class AuditSearchIndexes1765600000000 implements MigrationInterface {
  name = 'AuditSearchIndexes1765600000000';
  transaction = false;

  public async up(q: QueryRunner): Promise<void> {
    for (const [name, definition] of INDEXES) await build(q, name, definition);
    await build(q, 'info_requests_record_idx', '(record_id)', 'info_requests');
    for (const [name] of REPLACED) await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${name}`);
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const [name, definition] of REPLACED) await build(q, name, definition);
    for (const [name] of INDEXES) await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS ${name}`);
    await q.query(`DROP INDEX ${concurrently(q)} IF EXISTS info_requests_record_idx`);
  }
}
