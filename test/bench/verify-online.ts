/**
 * POST /audit/verify's work alone, against a database that already holds sealed audit events
 * (e.g. one the bench left with --keep): runs AuditLogService.verify from the built service
 * (`npm run build` first; the worker threads run dist/) and prints, per run, the wall time, the
 * CPU time of this process (main thread and worker threads) and of the PostgreSQL backends it used
 * (read from /proc, so PostgreSQL must run on this machine), and the load average.
 *
 *   node -r ts-node/register/transpile-only test/bench/verify-online.ts --database-url postgres://… [--runs 3] [--in-process] [--data-dir DIR]
 *
 * It only reads. With --data-dir (the service's DATA_DIR, e.g. the bench's kept scratch/data) it
 * checks the checkpoints with that service's own key, as the route does; without it, with a
 * throwaway key, so the checkpoints fail at the first (a log without checkpoints is still hashed
 * to the end: the answer then says that no checkpoint covers the leaves).
 */
import 'reflect-metadata';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../config/configuration';
import { KeysService } from '../../src/auth/keys.service';
import { machineSpeed } from './support/machine';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const url = arg('--database-url') ?? process.env.DATABASE_URL;
const runs = Number(arg('--runs') ?? 3);
const parallel = !argv.includes('--in-process');
const dataDir = arg('--data-dir');

function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
  } catch {
    return -1;
  }
}

async function main(): Promise<void> {
  if (!url) throw new Error('--database-url (or DATABASE_URL) is required');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AuditLogService } = require(join(__dirname, '..', '..', 'dist', 'src', 'audit', 'audit-log.service')) as typeof import('../../src/audit/audit-log.service');
  const ds = new DataSource({ type: 'postgres', url });
  await ds.initialize();
  let keys: unknown;
  let origin = 'bench.example/log';
  if (dataDir) {
    // The service's own key and origin, read as the service reads them (KeysService would make a
    // new key where there is none: refuse a folder that is not a service's data directory).
    if (!existsSync(join(dataDir, 'keys', 'checkpoint-ed25519.pem'))) throw new Error(`--data-dir ${dataDir}: no keys/checkpoint-ed25519.pem`);
    const serviceConfig = loadConfig({ DATA_DIR: dataDir, ...(process.env.AUDIT_LOG_ORIGIN ? { AUDIT_LOG_ORIGIN: process.env.AUDIT_LOG_ORIGIN } : {}) });
    const service = new KeysService(serviceConfig);
    await service.onModuleInit();
    keys = service;
    origin = serviceConfig.auditLogOrigin;
  } else {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    keys = { checkpoint: { kid: 'bench', publicKey, privateKey } };
  }
  const config = { databaseUrl: url, auditLogOrigin: origin, auditSealIntervalMs: 3_600_000 };
  const svc = new AuditLogService(config as never, ds, keys as never);
  const monitor = new Client({ connectionString: url });
  await monitor.connect();
  for (let run = 1; run <= runs; run++) {
    // Every backend of this database but the monitor's, sampled every 100 ms: first and last CPU reading.
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    let stop = false;
    const sampling = (async () => {
      while (!stop) {
        const { rows } = await monitor.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
        for (const { pid } of rows) {
          const t = cpuMs(pid);
          if (t < 0) continue;
          if (!first.has(pid)) first.set(pid, t);
          last.set(pid, t);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    const load = loadavg()[0]!.toFixed(2);
    const speed = machineSpeed();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const report = await svc.verify({ parallel });
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const c = process.cpuUsage(c0);
    stop = true;
    await sampling;
    let pg = 0;
    for (const [pid, t] of first) pg += last.get(pid)! - t;
    console.log(
      JSON.stringify({
        run,
        treeSize: report.treeSize,
        ok: report.ok,
        reason: report.reason,
        wallMs: Math.round(wallMs),
        nodeCpuMs: Math.round((c.user + c.system) / 1000),
        postgresCpuMs: pg,
        load1m: Number(load),
        sha256Leaf500NsBefore: speed.sha256Leaf500Ns,
        sha256Node65NsBefore: speed.sha256Node65Ns,
      }),
    );
  }
  await monitor.end();
  await ds.destroy();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
