/**
 * The one write to `info_requests` made outside `RequestsService`, owned here by the requests
 * module: a retrieval counts itself, moves `approved` to `exhausted` on the last one (a transition
 * in TRANSITIONS), and writes its audit event and disclosure row, all in one statement so that the
 * disclosure costs four round trips. `DisclosuresService` runs it inside its transaction after the
 * locking read; `test/bench/disclosure.pgbench.sql` runs the same SQL.
 *
 * Parameters: $1 request id, $2 new retrieval count, $3 new status ('approved' or 'exhausted'),
 * $4 record id, $5 recipient organisation, $6 categories, $7 data digest, $8 time, $9.. the audit
 * event's values in `auditColumns` order.
 */
export function retrievalWriteSql(auditColumns: string): string {
  return `WITH counted AS (
    UPDATE info_requests SET retrievals = $2, status = $3, updated_at = now() WHERE id = $1 AND status = 'approved' AND $3 IN ('approved', 'exhausted')
  ), event AS (
    INSERT INTO audit_events (${auditColumns})
    VALUES ($9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) RETURNING id
  )
  INSERT INTO disclosures (request_id, record_id, recipient_org_id, categories, data_digest, audit_event_id, retrieved_at)
  SELECT $1, $4, $5, $6, $7, event.id, $8 FROM event
  RETURNING audit_event_id`;
}
