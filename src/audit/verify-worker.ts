/**
 * A worker thread of POST /audit/verify: on its own connection, inside the snapshot the main
 * thread exported, it reads whole chunks of leaves (raw text, no per-row JSON or date parsing
 * beyond `details`) and checks them with verifyChunk. The main thread joins the results in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { canonicalLeafJson, LeafEvent } from './leaf';
import { sha256 } from './merkle';
import { LeafSource, verifyChunk } from './verify-chunk';

export interface ChunkTask {
  start: number;
  end: number;
  probes: number[];
}

/** The columns of a LeafEvent in this order, as text. */
export const CHUNK_SQL = `SELECT a.leaf_index::text, a.id::text, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    a.actor_type, a.actor_id, a.organization_id::text, a.action, a.resource_type, a.resource_id, a.record_id::text, a.outcome,
    a.reason_code, a.request_id, a.source_ip, a.details::text, a.leaf_hash
  FROM audit_events a WHERE a.leaf_index >= $1 AND a.leaf_index < $2 ORDER BY a.leaf_index`;

type Row = (string | null)[];

const asText = { getTypeParser: () => (v: string) => v };

export function textRowSource(rows: Row[]): LeafSource {
  const event = (r: Row, at: number): LeafEvent => ({
    leafIndex: at,
    id: r[1]!,
    occurredAt: r[2]!,
    actorType: r[3]!,
    actorId: r[4] ?? null,
    organizationId: r[5] ?? null,
    action: r[6]!,
    resourceType: r[7]!,
    resourceId: r[8] ?? null,
    recordId: r[9] ?? null,
    outcome: r[10]!,
    reasonCode: r[11] ?? null,
    requestId: r[12] ?? null,
    sourceIp: r[13] ?? null,
    details: r[14] === null || r[14] === undefined ? null : JSON.parse(r[14]),
  });
  return {
    length: rows.length,
    index: (i) => Number(rows[i]![0]),
    // bytea arrives as "\x<hex>"
    stored: (i) => {
      const h = rows[i]![15];
      return h ? Buffer.from(h.slice(2), 'hex') : null;
    },
    hashAt: (i, at) => sha256(`\u0000${canonicalLeafJson(event(rows[i]!, at))}`),
  };
}

async function main(): Promise<void> {
  const { url, snapshot } = workerData as { url: string; snapshot: string };
  const db = new Client({ connectionString: url, application_name: 'oie-audit-verify' });
  await db.connect();
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await db.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/[^0-9A-Fa-f-]/g, '')}'`);
  parentPort!.on('message', (task: ChunkTask | null) => {
    if (task === null) {
      void db.end().finally(() => process.exit(0));
      return;
    }
    void (async () => {
      try {
        const { rows } = await db.query({ text: CHUNK_SQL, values: [task.start, task.end], rowMode: 'array', types: asText });
        const result = verifyChunk(textRowSource(rows as Row[]), task.start, task.end, task.probes);
        parentPort!.postMessage({ ok: true, result, rows: rows.length });
      } catch (err) {
        parentPort!.postMessage({ ok: false, error: (err as Error).message });
      }
    })();
  });
  parentPort!.postMessage({ ready: true });
}

if (parentPort && (workerData as { role?: string } | undefined)?.role === 'audit-verify') {
  main().catch((err: unknown) => {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  });
}
