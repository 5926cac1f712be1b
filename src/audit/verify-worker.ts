/**
 * A worker thread of POST /audit/verify: on its own connection, inside the snapshot the main
 * thread exported, it streams whole chunks of leaves with binary COPY (checkLeavesByCopy: each
 * leaf's canonical bytes are written from the row's fields and hashed as they arrive) and checks
 * them with a ChunkChecker. Chunks it is sent while one runs wait their turn here. The main thread
 * joins the results in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client } from 'pg';
import { checkLeavesByCopy, LEAF_SCAN_SETTINGS } from './leaf-copy';

export interface ChunkTask {
  start: number;
  end: number;
  probes: number[];
}

async function main(): Promise<void> {
  const { url, snapshot } = workerData as { url: string; snapshot: string };
  const db = new Client({ connectionString: url, application_name: 'oie-audit-verify' });
  await db.connect();
  await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  await db.query(`SET TRANSACTION SNAPSHOT '${snapshot.replace(/[^0-9A-Fa-f-]/g, '')}'`);
  await db.query(LEAF_SCAN_SETTINGS);
  // Chunks sent while one runs wait here, and run one after another on the connection (a client
  // given a second query before the first ends is deprecated in node-postgres).
  let turn: Promise<void> = Promise.resolve();
  parentPort!.on('message', (task: ChunkTask | null) => {
    if (task === null) {
      void turn.then(() => db.end()).finally(() => process.exit(0));
      return;
    }
    turn = turn.then(async () => {
      try {
        const { result, rows } = await checkLeavesByCopy(db, task.start, task.end, task.probes);
        parentPort!.postMessage({ ok: true, result, rows });
      } catch (err) {
        parentPort!.postMessage({ ok: false, error: (err as Error).message });
      }
    });
  });
  parentPort!.postMessage({ ready: true });
}

if (parentPort && (workerData as { role?: string } | undefined)?.role === 'audit-verify') {
  main().catch((err: unknown) => {
    parentPort!.postMessage({ ok: false, error: (err as Error).message });
  });
}
