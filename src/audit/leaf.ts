import canonicalize from 'canonicalize';
import { leafHash, Hash } from './merkle';

/** An audit event as it is hashed, exported and verified. `occurredAt` keeps PostgreSQL's microseconds. */
export interface LeafEvent {
  leafIndex: number;
  id: string;
  occurredAt: string;
  actorType: string;
  actorId: string | null;
  organizationId: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  recordId: string | null;
  outcome: string;
  reasonCode: string | null;
  requestId: string | null;
  sourceIp: string | null;
  details: unknown;
}

/** SELECT list that yields the columns of a LeafEvent (snake case) from audit_events `a`. */
export const LEAF_COLUMNS = `a.id::text AS id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS occurred_at,
  a.actor_type, a.actor_id, a.organization_id, a.action, a.resource_type, a.resource_id, a.record_id, a.outcome,
  a.reason_code, a.request_id, a.source_ip, a.details, a.leaf_index::text AS leaf_index, a.leaf_hash`;

export interface LeafRow {
  id: string;
  occurred_at: string;
  actor_type: string;
  actor_id: string | null;
  organization_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  record_id: string | null;
  outcome: string;
  reason_code: string | null;
  request_id: string | null;
  source_ip: string | null;
  details: unknown;
  leaf_index: string | null;
  leaf_hash: Buffer | null;
}

export function toLeafEvent(row: LeafRow, leafIndex: number): LeafEvent {
  return {
    leafIndex,
    id: row.id,
    occurredAt: row.occurred_at,
    actorType: row.actor_type,
    actorId: row.actor_id,
    organizationId: row.organization_id,
    action: row.action,
    resourceType: row.resource_type,
    resourceId: row.resource_id,
    recordId: row.record_id,
    outcome: row.outcome,
    reasonCode: row.reason_code,
    requestId: row.request_id,
    sourceIp: row.source_ip,
    details: row.details ?? null,
  };
}

/** Leaf hash = SHA-256(0x00 ‖ RFC 8785 canonical JSON of the event, its leaf index included). */
export function hashLeafEvent(e: LeafEvent): Hash {
  return leafHash(Buffer.from(canonicalize(e) ?? '', 'utf8'));
}
