// npm run audit:verify -- --export events.ndjson --checkpoint checkpoint.json --jwks jwks.json
// Checks an audit export against a signed checkpoint with no database: every leaf recomputed from
// its event, no gap, the root at the checkpoint's size, and the checkpoint's Ed25519 signature.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Checkpoint, jwkKeyLookup, LogVerifier, VerifyReport } from '../audit/audit-log.service';
import type { LeafRow } from '../audit/leaf';
import type { toEventView } from '../audit/audit-query.service';

/** Command-line output (this is a tool run by a person, not the service's log). */
const say = (text: string) => process.stdout.write(`${text}\n`);
const complain = (text: string) => process.stderr.write(`${text}\n`);

/** One line of the NDJSON export, exactly as the service writes it. */
type ExportedEvent = ReturnType<typeof toEventView>;

function toRow(e: ExportedEvent): LeafRow {
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
    leaf_index: e.leafIndex === null ? null : String(e.leafIndex),
    leaf_hash: e.leafHash ? Buffer.from(e.leafHash, 'base64') : null,
  };
}

/** Verifies an NDJSON export against one checkpoint and a JWKS; only leaves below the checkpoint's size count. */
export async function verifyExport(
  exportFile: string,
  checkpointFile: string,
  jwksFile: string,
): Promise<VerifyReport & { line?: number }> {
  const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
  const jwks = JSON.parse(readFileSync(jwksFile, 'utf8')) as { keys: Record<string, unknown>[] };
  const verifier = new LogVerifier([checkpoint], await jwkKeyLookup(jwks));
  const lines = createInterface({ input: createReadStream(exportFile, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    let event: ExportedEvent;
    try {
      event = JSON.parse(line) as ExportedEvent;
    } catch {
      return {
        ok: false,
        treeSize: 0,
        checkpointsVerified: 0,
        reason: `line ${lineNo} is not valid JSON`,
        line: lineNo,
      };
    }
    if (event.leafIndex === null || event.leafIndex >= checkpoint.treeSize) continue; // beyond the checkpoint
    const failure = await verifier.add(toRow(event));
    if (failure) return { ...failure, line: lineNo };
    if (event.leafIndex === checkpoint.treeSize - 1) break;
  }
  return verifier.finish();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { export: { type: 'string' }, checkpoint: { type: 'string' }, jwks: { type: 'string' } },
  });
  if (!values.export || !values.checkpoint || !values.jwks) {
    complain(
      'usage: npm run audit:verify -- --export events.ndjson --checkpoint checkpoint.json --jwks jwks.json',
    );
    process.exit(2);
  }
  const report = await verifyExport(values.export, values.checkpoint, values.jwks);
  if (report.ok) {
    say(`OK: ${report.treeSize} events match the signed checkpoint (tree size ${report.treeSize}).`);
    return;
  }
  say(
    `FAILED: ${report.reason}${report.firstBadIndex !== undefined ? ` (first bad leaf index: ${report.firstBadIndex})` : ''}`,
  );
  process.exit(1);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    complain(`audit:verify could not run: ${(err as Error).message}`);
    process.exit(2);
  });
}
