/**
 * The service's audit export and checkpoint as an offline verifier gets them, and what a test
 * needs to forge or re-sign them: events as exported, their leaves, roots of prefixes.
 */
import { createHash } from 'node:crypto';
import { toEventView } from '../../src/audit/audit-query.service';
import { hashLeafEvent, LeafEvent } from '../../src/audit/leaf';
import { rootOf } from '../../src/audit/merkle';
import { logSigner, NoteSigner } from './signed-notes';
import { API, bearer, TestApp } from './test-app';

/** One event as the export writes it. */
export type ExportedEvent = ReturnType<typeof toEventView>;

/**
 * A log key for notes the tests forge themselves (held notes, receipts, tampered checkpoints); the
 * service's own note and verifier key come from `latestCheckpoint`.
 */
export const STAND_IN_LOG: NoteSigner = logSigner('oie.test/audit-log', createHash('sha256').update('stand-in audit log key for tests').digest());

/** The body of an export response, as text. */
export async function exportEvents(t: TestApp, auditor: string, format: 'ndjson' | 'csv', query = ''): Promise<string> {
  const res = await t.http
    .get(`${API}/audit/events/export?format=${format}${query ? `&${query}` : ''}`)
    .set(bearer(auditor))
    .expect(200)
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
    });
  return res.body as string;
}

/** The service's latest checkpoint as a signed note, with the verifier key of the key that signed it. */
export async function latestCheckpoint(t: TestApp, auditor: string): Promise<{ treeSize: number; rootHash: string; note: string; logKey: string }> {
  const cp = (await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor)).expect(200)).body as { treeSize: number; rootHash: string; note: string | null };
  if (!cp.note) throw new Error('the latest checkpoint has no signed note');
  const logKey = (await t.http.get(`${API}/audit/verifier-key`).expect(200)).text.trim();
  return { treeSize: cp.treeSize, rootHash: cp.rootHash, note: cp.note, logKey };
}

export function parseNdjson(text: string): ExportedEvent[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ExportedEvent);
}

export const toNdjson = (events: ExportedEvent[]) => events.map((e) => JSON.stringify(e) + '\n').join('');

/** The leaf of an exported event at a leaf index (its own by default), as the service hashes it. */
export function leafOf(e: ExportedEvent, leafIndex = e.leafIndex!): LeafEvent {
  return {
    leafIndex,
    id: e.id,
    occurredAt: e.occurredAt,
    actorType: e.actorType,
    actorId: e.actorId,
    organizationId: e.organizationId,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId,
    recordId: e.recordId,
    outcome: e.outcome,
    reasonCode: e.reasonCode,
    requestId: e.requestId,
    sourceIp: e.sourceIp,
    details: e.details,
  };
}

/** The event at a leaf index with its leaf hash recomputed: what someone who rewrites the log writes. */
export function resealed(e: ExportedEvent, leafIndex = e.leafIndex!): ExportedEvent {
  return { ...e, leafIndex, leafHash: hashLeafEvent(leafOf(e, leafIndex)).toString('base64') };
}

/** The root of the first `size` leaves of an export, from its leaf hashes. */
export function rootOfFirst(events: ExportedEvent[], size: number): Buffer {
  return rootOf(events.slice(0, size).map((e) => Buffer.from(e.leafHash!, 'base64')));
}
