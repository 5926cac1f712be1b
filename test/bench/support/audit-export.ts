/**
 * Synthetic audit exports for the offline verifier: events like the service's (the bench's mix of
 * actions, actors and details, with jsonb's member order), sealed with the service's own leaf code
 * (toLeafEvent + hashLeafEvent), written with its own export code (toEventView, csvLine), plus
 * checkpoint notes signed with a throwaway log key and cosigned by a throwaway witness.
 */
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { csvLine, CSV_COLUMNS, toEventView } from '../../../src/audit/audit-query.service';
import { hashLeafEvent, LeafRow, toLeafEvent } from '../../../src/audit/leaf';
import { CompactRange, Hash } from '../../../src/audit/merkle';
import { checkpointNote, logSigner, NoteSigner, witnessSigner } from '../../support/signed-notes';
import { rng } from './util';

const pad = (n: number, w: number) => String(n).padStart(w, '0');
/** A pool of UUID-shaped ids, drawn from by index (making millions of fresh ones dominates the generation time). */
const UUIDS = (() => {
  const r = rng(4242);
  const h = () => Math.floor(r() * 0x10000).toString(16).padStart(4, '0');
  return Array.from({ length: 65_521 }, () => `${h()}${h()}-${h()}-7${h().slice(1)}-${h()}-${h()}${h()}${h()}`);
})();
const uuid = (r: () => number) => UUIDS[Math.floor(r() * UUIDS.length)]!;

/** The i-th synthetic event (before sealing), deterministic in i. */
export function syntheticRow(i: number, total: number, r: () => number): LeafRow {
  const k = (i * 37) % 100;
  const t = new Date(Date.UTC(2025, 0, 1) + Math.floor((i * 31_536_000_000) / Math.max(1, total)));
  const occurred = `${t.toISOString().slice(0, 19)}.${pad((i * 7919) % 1_000_000, 6)}Z`;
  const org = uuid(r);
  const client = `muni-${pad(1 + (i % 40), 3)}`;
  const user = String(1000 + (i % 250));
  const requestUuid = uuid(r);
  const record = String(100_000 + (i % 30_000));
  const base = {
    id: String(i + 1),
    occurred_at: occurred,
    request_id: uuid(r),
    source_ip: `10.${20 + (i % 40)}.${Math.floor(i / 40) % 250}.${1 + (i % 250)}`,
    leaf_index: null,
    leaf_hash: null,
  };
  const who = k < 60 ? { actor_type: 'client', actor_id: client } : k < 85 || k >= 90 ? { actor_type: 'user', actor_id: user } : { actor_type: 'anonymous', actor_id: null };
  const orgId = who.actor_id === null ? null : org;
  const categories = ['identity', 'release', 'residence', 'support_needs'];
  if (k < 30)
    return { ...base, ...who, organization_id: orgId, action: 'auth.token', resource_type: 'client', resource_id: client, record_id: null, outcome: i % 50 === 0 ? 'denied' : 'success', reason_code: i % 50 === 0 ? 'invalid-client' : null, details: null };
  if (k < 45)
    // jsonb keeps members ordered by length, then bytes: retrieval, categories, dataDigest
    return { ...base, ...who, organization_id: orgId, action: 'disclosure.retrieve', resource_type: 'request', resource_id: requestUuid, record_id: record, outcome: 'success', reason_code: null, details: { retrieval: 1 + (i % 5), categories, dataDigest: Buffer.from(uuid(r)).toString('base64') } };
  if (k < 60)
    return { ...base, ...who, organization_id: orgId, action: 'request.create', resource_type: 'request', resource_id: requestUuid, record_id: record, outcome: 'success', reason_code: null, details: { purpose: 'reintegration_support', categories, legalGround: 'consent' } };
  if (k < 75) return { ...base, ...who, organization_id: orgId, action: k < 70 ? 'record.read' : 'record.create', resource_type: 'release_record', resource_id: record, record_id: record, outcome: 'success', reason_code: null, details: null };
  if (k < 80)
    return { ...base, ...who, organization_id: orgId, action: 'request.decide', resource_type: 'request', resource_id: requestUuid, record_id: record, outcome: 'success', reason_code: null, details: { stage: 1, decision: 'approve', maxRetrievals: 1 + (i % 5) } };
  if (k < 85) return { ...base, ...who, organization_id: orgId, action: 'auth.login', resource_type: 'user', resource_id: user, record_id: null, outcome: 'success', reason_code: null, details: null };
  if (k < 90)
    return { ...base, ...who, organization_id: orgId, action: 'access.denied', resource_type: 'route', resource_id: 'GET /api/v1/requests/:id/disclosure', record_id: null, outcome: 'denied', reason_code: 'invalid-token', details: { status: 401 } };
  if (k < 96) return { ...base, ...who, organization_id: orgId, action: 'record.list', resource_type: 'release_record', resource_id: null, record_id: null, outcome: 'success', reason_code: null, details: null };
  return { ...base, ...who, organization_id: orgId, action: 'audit.search', resource_type: 'audit_event', resource_id: null, record_id: null, outcome: 'success', reason_code: null, details: { count: 100, filters: { action: 'disclosure.retrieve' } } };
}

export interface GeneratedExport {
  dir: string;
  events: number;
  ndjson: string;
  csv?: string;
  /** The log's checkpoint at the full size, cosigned by the witness. */
  checkpoint: string;
  /** An older checkpoint (about a third of the way), cosigned by the witness: a held note. */
  held: string;
  heldSize: number;
  logKey: string;
  witnessKey: string;
  root: string;
}

/**
 * Writes `events` sealed events as NDJSON (and CSV when asked) into dir, with the notes and keys.
 * Memory stays flat: events are written in blocks and only the compact range is kept.
 */
export function generateExport(dir: string, events: number, opts: { csv?: boolean; onProgress?: (done: number) => void } = {}): GeneratedExport {
  const r = rng(20_250_113);
  const log: NoteSigner = logSigner('audit.example/log');
  const witness: NoteSigner = witnessSigner('witness.example/w1');
  const heldSize = Math.floor(events / 3) + 7;
  const ndjson = join(dir, 'events.ndjson');
  const csv = opts.csv ? join(dir, 'events.csv') : undefined;
  const nd = openSync(ndjson, 'w');
  const cv = csv ? openSync(csv, 'w') : undefined;
  if (cv !== undefined) writeSync(cv, CSV_COLUMNS.join(',') + '\n');
  const range = new CompactRange();
  let heldRoot: Hash | undefined = events >= heldSize ? undefined : Buffer.alloc(32);
  let a: string[] = [];
  let b: string[] = [];
  let size = 0;
  for (let i = 0; i < events; i++) {
    if (i === heldSize) heldRoot = range.root();
    const row = syntheticRow(i, events, r);
    const leaf = hashLeafEvent(toLeafEvent(row, i));
    row.leaf_index = String(i);
    row.leaf_hash = leaf;
    range.append(leaf);
    const view = toEventView(row);
    const line = JSON.stringify(view) + '\n';
    a.push(line);
    size += line.length;
    if (cv !== undefined) b.push(csvLine(view));
    if (size > 4_000_000) {
      writeSync(nd, a.join(''));
      a = [];
      size = 0;
      if (cv !== undefined) writeSync(cv, b.join(''));
      b = [];
      opts.onProgress?.(i + 1);
    }
  }
  if (events === heldSize) heldRoot = range.root();
  writeSync(nd, a.join(''));
  closeSync(nd);
  if (cv !== undefined) {
    writeSync(cv, b.join(''));
    closeSync(cv);
  }
  const root = range.root();
  const time = Math.floor(Date.now() / 1000);
  const checkpoint = join(dir, 'latest.note');
  const held = join(dir, 'held.note');
  writeFileSync(checkpoint, checkpointNote(log, events, root, [witness], time));
  writeFileSync(held, checkpointNote(log, heldSize, heldRoot!, [witness], time - 3600));
  writeFileSync(join(dir, 'log.vkey'), log.vkey + '\n');
  writeFileSync(join(dir, 'witness.vkey'), witness.vkey + '\n');
  return { dir, events, ndjson, csv, checkpoint, held, heldSize, logKey: log.vkey, witnessKey: witness.vkey, root: root.toString('base64') };
}
