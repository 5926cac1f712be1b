/**
 * src/audit/standalone/FORMAT.md's worked example, recomputed from the service's own code: the
 * export lines (toEventView, csvLine), the canonical JSON and leaf hashes (leaf.ts), the root
 * (merkle.ts), the keys and the signed note (c2sp signed-note, as test/support/signed-notes.ts
 * signs), and the verifier's output on those files. A change to any of them fails here until the
 * document says the same.
 */
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CSV_COLUMNS, csvLine, toEventView } from '../src/audit/audit-query.service';
import { hashLeafEvent, LeafRow } from '../src/audit/leaf';
import { nodeHash, rootOf } from '../src/audit/merkle';
import { ExportedEvent, leafOf } from './support/audit-exports';
import { VerifierFolder } from './support/offline-verifier';
import { checkpointNote, logSigner, witnessSigner } from './support/signed-notes';

const FORMAT = readFileSync(join(__dirname, '..', 'src', 'audit', 'standalone', 'FORMAT.md'), 'utf8');

/** The fenced block after `<!-- example:name -->`. */
function example(name: string): string {
  const m = new RegExp(`<!-- example:${name} -->\\n\`\`\`\\w*\\n([\\s\\S]*?)\`\`\`\\n`).exec(FORMAT);
  if (!m) throw new Error(`FORMAT.md has no example:${name}`);
  return m[1]!;
}

/** The row the service would have read for an exported event. */
function rowOf(e: ExportedEvent): LeafRow {
  return {
    id: e.id,
    occurred_at: e.occurredAt,
    actor_type: e.actorType,
    actor_id: e.actorId,
    organization_id: e.organizationId,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    record_id: e.recordId,
    outcome: e.outcome,
    reason_code: e.reasonCode,
    request_id: e.requestId,
    source_ip: e.sourceIp,
    details: e.details,
    leaf_index: String(e.leafIndex),
    leaf_hash: Buffer.from(e.leafHash!, 'base64'),
  };
}

describe('FORMAT.md, worked example', () => {
  const ndjson = example('ndjson');
  const events = ndjson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ExportedEvent);
  const leaves = events.map((e) => hashLeafEvent(leafOf(e)));
  const root = rootOf(leaves);
  const log = logSigner('audit.example/log', createHash('sha256').update('FORMAT.md example log key').digest());
  const witness = witnessSigner('witness.example/w1', createHash('sha256').update('FORMAT.md example witness key').digest());

  it('shows export lines as the service writes them, NDJSON and CSV', () => {
    expect(events.map((e) => e.leafIndex)).toEqual([0, 1, 2]);
    expect(events.map((e) => JSON.stringify(toEventView(rowOf(e))) + '\n').join('')).toBe(ndjson);
    expect(CSV_COLUMNS.join(',') + '\n' + events.map((e) => csvLine(toEventView(rowOf(e)))).join('')).toBe(example('csv'));
  });

  it('shows the canonical JSON, the leaf hashes and the root the service computes', () => {
    expect(canonicalize(leafOf(events[0]!)) + '\n').toBe(example('canonical'));
    expect(events.map((e) => e.leafHash)).toEqual(leaves.map((l) => l.toString('base64')));
    expect(example('leaves')).toBe(leaves.map((l, i) => `leaf ${i}  hex    ${l.toString('hex')}\nleaf ${i}  base64 ${l.toString('base64')}\n`).join(''));
    expect(example('root')).toBe(
      `node(0,1)  hex    ${nodeHash(leaves[0]!, leaves[1]!).toString('hex')}\nroot       hex    ${root.toString('hex')}\nroot       base64 ${root.toString('base64')}\n`,
    );
  });

  it('shows the keys and the signed, cosigned note', () => {
    expect(example('keys')).toBe(`${log.vkey}\n${witness.vkey}\n`);
    expect(example('note')).toBe(checkpointNote(log, 3, root, [witness], 1_743_500_000));
    expect(FORMAT).toContain('time 1743500000 (2025-04-01 09:33:20 UTC)');
    expect(new Date(1_743_500_000_000).toISOString()).toBe('2025-04-01T09:33:20.000Z');
  });

  it('shows what the verifier says about those files', () => {
    const [command, ...output] = example('run').trimEnd().split('\n');
    const folder = new VerifierFolder();
    try {
      folder.write('events.ndjson', ndjson);
      folder.write('latest.note', example('note'));
      const args = [...command!.matchAll(/'[^']*'|\S+/g)].map((m) => m[0].replace(/^'|'$/g, '')).slice(3);
      expect(command!.startsWith('$ node verify-audit-log.js ')).toBe(true);
      const r = folder.run(args);
      expect(r.status).toBe(0);
      expect(r.stdout.trimEnd().split('\n')).toEqual(output);
    } finally {
      folder.remove();
    }
  });
});
