import { Hash, sha256 } from './merkle';

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

/** RFC 8785 (JCS) serialisation of any JSON value: sorted keys (UTF-16 order), ECMAScript numbers and strings. */
export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError('JSON has no NaN or Infinity');
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((v as { toJSON(): unknown }).toJSON());
      if (Array.isArray(v)) return `[${v.map((x) => (x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : canonicalJson(x))).join(',')}]`;
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(o).sort()) {
        const x = o[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
      }
      return `{${parts.join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new TypeError(`cannot serialise a ${typeof v} as JSON`);
}

const str = (s: string | null) => (s === null || s === undefined ? 'null' : JSON.stringify(s));

/** The canonical JSON of an event: its keys in RFC 8785 order, written out directly (the hot path of sealing and verifying). */
export function canonicalLeafJson(e: LeafEvent): string {
  return (
    `{"action":${str(e.action)},"actorId":${str(e.actorId)},"actorType":${str(e.actorType)},"details":${e.details === null || e.details === undefined ? 'null' : canonicalJson(e.details)}` +
    `,"id":${str(e.id)},"leafIndex":${canonicalJson(e.leafIndex)},"occurredAt":${str(e.occurredAt)},"organizationId":${str(e.organizationId)},"outcome":${str(e.outcome)}` +
    `,"reasonCode":${str(e.reasonCode)},"recordId":${str(e.recordId)},"requestId":${str(e.requestId)},"resourceId":${str(e.resourceId)},"resourceType":${str(e.resourceType)},"sourceIp":${str(e.sourceIp)}}`
  );
}

/** Leaf hash = SHA-256(0x00 ‖ RFC 8785 canonical JSON of the event, its leaf index included). */
export function hashLeafEvent(e: LeafEvent): Hash {
  return sha256(`\u0000${canonicalLeafJson(e)}`);
}

/** canonicalJson of a jsonb column's text (NULL and JSON null both give "null"). */
export function canonicalDetails(text: string | null): string {
  return text === null ? 'null' : canonicalJson(JSON.parse(text));
}
