/*
 * Auditor search as the log grows: p50/p95 of every filter of GET /audit/events (alone, and with a
 * narrow time window far in the past), of the per-person report and of each anomaly view, through
 * the real HTTP routes of the built service, at several log sizes.
 *
 *   npm run bench:search -- --events 100000,1000000,10000000 [--runs 30] [--rate 10000] [--keep]
 *
 * One service with its embedded PostgreSQL per size, each in a scratch folder (never a shared
 * database). In each, a small world is seeded through the API (organisations, an auditor, a few
 * release records and requests); then the audit log is filled with SQL (generate_series, the real
 * table and its indexes) up to that size, at a constant rate (--rate events a day, default 10,000),
 * the oldest event first, on one timeline for all sizes: a smaller log is the larger one as it was
 * earlier in its life, so the last week holds the same number of events at every size and "far in
 * the past" means the first days of the log. All sizes are then measured in the same rounds,
 * interleaved, so a burst of load elsewhere on the machine falls on every size alike. People (record ids) come and
 * go over time as in life: about 20 events each, spread over a few hours; the first few hundred
 * are real seeded records (the report needs the record to exist), so the report is about someone
 * from the very start of the log.
 *
 * The filled events are NOT sealed: leaf_index and leaf_hash stay null (as for events committed
 * since the last seal) and the sealer runs once a minute at most, 5,000 events at a time. Sealing
 * and verifying are not part of this bench (npm run bench and bench:verify measure them); no
 * query measured here reads leaf columns except to return them.
 *
 * Prints, per size, the fill time, then a table: p50 and p95 of each measured call at each size,
 * and p95(largest)/p95(smallest). Writes bench-results/bench-search.json.
 */
import { Client as PgClient } from 'pg';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Api } from './support/http';
import { seedWorld, World } from './support/seed';
import { assertBuilt, baseEnv, ServiceProcess } from './support/service';
import { fmtMs, freePort, log, now, percentile, removeDir, REPO_ROOT, scratchDir } from './support/util';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SIZES = (arg('--events') ?? '100000,1000000').split(',').map(Number);
const RUNS = Number(arg('--runs') ?? 30);
const RATE = Number(arg('--rate') ?? 10_000);
const KEEP = argv.includes('--keep');
if (
  SIZES.some((n, i) => !Number.isSafeInteger(n) || n < 10_000 || (i > 0 && n <= SIZES[i - 1]!)) ||
  !(RUNS >= 3) ||
  !(RATE >= 100)
) {
  process.stderr.write(
    'usage: npm run bench:search -- --events 100000,1000000,10000000 [--runs 30] [--rate 10000] [--keep]\n(sizes ascending, each at least 10,000)\n',
  );
  process.exit(2);
}
const DAY_S = 86_400;
const MAX = SIZES[SIZES.length - 1]!;
const ACTORS_USER = 200;
const ACTORS_CLIENT = 300;
const ORGS = 50;

/**
 * Inserts events first..last (1-based positions on the timeline). Event i happens at
 * t0 + i / rate days. Actors: 300 system clients (60 % of events) and 200 staff users, each in one
 * of 50 organisations; record ids on reads, requests, decisions and disclosures (about 45 %), the
 * person changing every few hours.
 */
const FILL_SQL = `
  WITH real AS (SELECT array_agg(id ORDER BY created_at, id) a FROM release_records)
  INSERT INTO audit_events (occurred_at, actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id,
                            outcome, reason_code, request_id, source_ip, details)
  SELECT $3::timestamptz + make_interval(secs => g.i * (${DAY_S}.0 / $4::int)),
         CASE WHEN k < 60 THEN 'client' WHEN k < 85 OR k >= 90 THEN 'user' ELSE 'anonymous' END,
         CASE WHEN k < 60 THEN 'bench-client-' || g.cl WHEN k < 85 OR k >= 90 THEN pg_temp.bench_uuid('user' || g.us)::text END,
         CASE WHEN k < 60 THEN pg_temp.bench_uuid('org' || g.cl % ${ORGS}) WHEN k < 85 OR k >= 90 THEN pg_temp.bench_uuid('org' || g.us % ${ORGS}) END,
         CASE WHEN k < 30 THEN 'auth.token' WHEN k < 45 THEN 'disclosure.retrieve' WHEN k < 55 THEN 'request.create' WHEN k < 60 THEN 'request.read'
              WHEN k < 70 THEN 'record.read' WHEN k < 75 THEN 'record.import' WHEN k < 78 THEN 'request.approve' WHEN k < 80 THEN 'request.reject'
              WHEN k < 85 THEN 'auth.login' WHEN k < 90 THEN 'access.denied' WHEN k < 96 THEN 'record.list' ELSE 'audit.search' END,
         CASE WHEN k < 30 THEN 'client' WHEN k < 60 THEN 'request' WHEN k < 75 THEN 'release_record' WHEN k < 80 THEN 'request'
              WHEN k < 85 THEN 'user' WHEN k < 90 THEN 'route' WHEN k < 96 THEN 'release_record' ELSE 'audit_event' END,
         CASE WHEN k < 30 THEN 'bench-client-' || g.cl WHEN k < 60 OR (k >= 75 AND k < 80) THEN pg_temp.bench_uuid('request' || (g.i / 100))::text
              WHEN k < 75 THEN p.rec::text WHEN k < 85 THEN pg_temp.bench_uuid('user' || g.us)::text WHEN k < 90 THEN 'GET /api/v1/requests/:id/disclosure' END,
         CASE WHEN k >= 30 AND k < 80 THEN p.rec END,
         CASE WHEN k >= 85 AND k < 90 THEN 'denied' WHEN k < 30 AND g.i % 50 = 0 THEN 'denied' ELSE 'success' END,
         CASE WHEN k >= 85 AND k < 90 THEN 'invalid-token' WHEN k < 30 AND g.i % 50 = 0 THEN 'invalid-client' END,
         md5(g.i::text || ':req')::uuid::text,
         '10.' || (20 + g.i % 40) || '.' || ((g.i / 40) % 250) || '.' || (1 + g.i % 250),
         CASE WHEN k >= 30 AND k < 45 THEN jsonb_build_object('categories', jsonb_build_array('identity','release','residence'), 'retrieval', 1 + g.i % 3)
              WHEN k >= 45 AND k < 55 THEN jsonb_build_object('purpose', 'reintegration_support', 'legalGround', 'consent')
              WHEN k >= 75 AND k < 80 THEN jsonb_build_object('stage', 1)
              WHEN k >= 85 AND k < 90 THEN jsonb_build_object('status', 401) END
    FROM (SELECT i, (i * 37) % 100 AS k, (i / 1000) * 20 + i % 20 AS person,
                 (i::bigint * 40503 % 999983) % ${ACTORS_CLIENT} AS cl, (i::bigint * 2654435761 % 1000003) % ${ACTORS_USER} AS us
            FROM generate_series($1::int, $2::int) AS s(i)) g
    CROSS JOIN real
    CROSS JOIN LATERAL (SELECT CASE WHEN g.person < cardinality(real.a) THEN real.a[g.person + 1] ELSE pg_temp.bench_uuid('person' || g.person) END AS rec) p`;

interface Sample {
  name: string;
  size: number;
  p50: number;
  p95: number;
  rows: number;
}

/** A valid version-4 UUID made from md5 of a text (the validators refuse other versions). */
const UUID_SQL = `CREATE OR REPLACE FUNCTION pg_temp.bench_uuid(t text) RETURNS uuid LANGUAGE sql IMMUTABLE AS
  $$ SELECT (substr(md5(t), 1, 12) || '4' || substr(md5(t), 14, 3) || 'a' || substr(md5(t), 18))::uuid $$`;

async function fill(db: PgClient, from: number, to: number, t0: Date): Promise<number> {
  const t = now();
  await db.query(UUID_SQL);
  const chunk = 500_000;
  for (let a = from; a <= to; a += chunk) {
    const b = Math.min(to, a + chunk - 1);
    await db.query(FILL_SQL, [a, b, t0, RATE]);
    if (to - from > chunk) log(`    ${b.toLocaleString()} events (${fmtMs(now() - t)})`);
  }
  await db.query('ANALYZE audit_events');
  return now() - t;
}

/** One log size: its own service, embedded PostgreSQL and world, filled to `size` events. */
interface Instance {
  size: number;
  svc: ServiceProcess;
  db: PgClient;
  api: Api;
  token: string;
  calls: [string, string][];
}

async function startInstance(scratch: string, size: number, t0: Date): Promise<{ inst: Instance; fillMs: number }> {
  const dir = join(scratch, `log-${size}`);
  mkdirSync(dir, { recursive: true });
  const pgPort = await freePort();
  const svc = await ServiceProcess.start({
    name: `service-${size}`,
    dataDir: join(dir, 'data'),
    env: {
      ...baseEnv(),
      EMBEDDED_PG_PORT: String(pgPort),
      AUDIT_SEAL_INTERVAL_MS: '60000',
      SCHEDULER_ENABLED: 'false',
    },
    logFile: join(dir, 'service.log'),
  });
  const db = new PgClient({ connectionString: svc.embeddedDbUrl(pgPort) });
  await db.connect();
  const api = new Api(svc.base);
  const world: World = await seedWorld(api, {
    municipalities: 12,
    activeMunicipalities: 4,
    holders: 2,
    otherAgencies: 1,
    records: 400,
    activeShare: 0.5,
    approvedRequests: 20,
    importPerCall: 400,
    concurrency: 4,
    quiet: true,
  });
  const token = world.auditor.token;
  const at = (i: number) => new Date(t0.getTime() + (i * DAY_S * 1000) / RATE);
  const reportRecord = (
    (await db.query(`SELECT id FROM release_records ORDER BY created_at, id OFFSET 5 LIMIT 1`)).rows[0] as {
      id: string;
    }
  ).id;
  const oldWindow = { from: at(RATE).toISOString(), to: at(RATE + RATE / 24).toISOString() }; // an hour on the second day of the log
  log(`filling the ${size.toLocaleString()}-event log`);
  const fillMs = await fill(db, 1, size, t0);
  log(`  filled ${size.toLocaleString()} events in ${fmtMs(fillMs)}`);
  const last = at(size);
  const week = {
    from: new Date(last.getTime() - 7 * DAY_S * 1000).toISOString(),
    to: new Date(last.getTime() + 1000).toISOString(),
  };
  const q = (o: Record<string, string>) => '?' + new URLSearchParams(o).toString();
  const filters: Record<string, Record<string, string>> = {
    none: {},
    'actor (client)': { actor: 'bench-client-7' },
    'actor (user)': { actor: uuidOf('user', 13) },
    org: { org: uuidOf('org', 7) },
    action: { action: 'disclosure.retrieve' },
    resource: { resource: 'release_record' },
    record: { record: reportRecord },
    outcome: { outcome: 'denied' },
  };
  const calls: [string, string][] = [];
  for (const [name, f] of Object.entries(filters)) {
    calls.push([`events ${name}`, `/api/v1/audit/events${q({ ...f, limit: '100' })}`]);
    calls.push([`events ${name} + old window`, `/api/v1/audit/events${q({ ...f, ...oldWindow, limit: '100' })}`]);
  }
  const first = await api.expect(200, 'GET', `/api/v1/audit/events${q({ org: uuidOf('org', 7), limit: '100' })}`, {
    token,
  });
  calls.push([
    'events org, page 2 (cursor)',
    `/api/v1/audit/events${q({ org: uuidOf('org', 7), limit: '100', cursor: String(first.nextCursor) })}`,
  ]);
  calls.push(['person report', `/api/v1/audit/records/${reportRecord}/report`]);
  for (const view of ['outside-hours', 'bursts', 'refusals', 'retrievals', 'approvals'])
    calls.push([`anomalies ${view} (7 days)`, `/api/v1/audit/anomalies${q({ ...week, view })}`]);
  return { inst: { size, svc, db, api, token, calls }, fillMs };
}

async function main(): Promise<void> {
  assertBuilt();
  const scratch = scratchDir('oie-bench-search');
  log(
    `bench:search: sizes ${SIZES.map((s) => s.toLocaleString()).join(', ')}, ${RUNS} runs a call, ${RATE.toLocaleString()} events a day; ${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}, scratch ${scratch}`,
  );
  const samples: Sample[] = [];
  const fills: { size: number; ms: number }[] = [];
  const instances: Instance[] = [];
  try {
    // The same timeline for every size: MAX events at RATE a day, ending now. The smaller logs are
    // the first events of the largest one (the log as it was earlier in its life).
    const t0 = new Date(Date.now() - (MAX / RATE) * DAY_S * 1000);
    for (const size of SIZES) {
      const { inst, fillMs } = await startInstance(scratch, size, t0);
      instances.push(inst);
      fills.push({ size, ms: Math.round(fillMs) });
    }
    // Every size is measured in the same rounds: each call once per round at every size, one size
    // after the other (the order alternating between rounds), so load from elsewhere on this shared
    // machine falls on all sizes alike and the ratio between sizes compares like with like.
    const calls = instances[0]!.calls;
    const times = instances.map(() => calls.map(() => [] as number[]));
    const rows = instances.map(() => calls.map(() => 0));
    log(`measuring: ${RUNS} rounds (+2 warm-up) of ${calls.length} calls at ${instances.length} sizes, interleaved`);
    for (let round = 0; round < RUNS + 2; round++) {
      for (let i = 0; i < calls.length; i++) {
        const order = round % 2 === 0 ? instances.keys() : [...instances.keys()].reverse();
        for (const k of order) {
          const inst = instances[k]!;
          const [name, path] = inst.calls[i]!;
          const res = await inst.api.call('GET', path, { token: inst.token });
          if (res.status !== 200) throw new Error(`${name} at ${inst.size}: ${res.status} ${res.text.slice(0, 300)}`);
          if (round >= 2) times[k]![i]!.push(res.ms);
          const body = res.body as { items?: unknown[]; views?: { findings: unknown[] }[] };
          rows[k]![i] = body.items?.length ?? body.views?.reduce((n, v) => n + v.findings.length, 0) ?? 0;
        }
      }
    }
    for (const [k, inst] of instances.entries()) {
      for (const [i, [name]] of calls.entries()) {
        const sorted = times[k]![i]!.sort((a, b) => a - b);
        const s = {
          name,
          size: inst.size,
          p50: round1(percentile(sorted, 50)),
          p95: round1(percentile(sorted, 95)),
          rows: rows[k]![i]!,
        };
        samples.push(s);
        log(`  ${inst.size.toLocaleString()} ${name}: p50 ${s.p50} ms, p95 ${s.p95} ms (${s.rows} rows)`);
      }
    }
  } finally {
    for (const inst of instances) {
      await inst.db.end().catch(() => undefined);
      await inst.svc.stop('SIGTERM');
    }
    if (KEEP) log(`kept ${scratch}`);
    else removeDir(scratch);
  }
  const names = [...new Set(samples.map((s) => s.name))];
  const small = SIZES[0]!;
  const width = Math.max(...names.map((n) => n.length)) + 2;
  const lines = [
    '',
    `auditor search, node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, ${RUNS} runs a call, ${RATE.toLocaleString()} events a day`,
    `fill: ${fills.map((f) => `${f.size.toLocaleString()} in ${fmtMs(f.ms)}`).join(', ')}`,
    ''.padEnd(width) +
      SIZES.map((s) => `${s.toLocaleString()} p50/p95 ms`.padEnd(24)).join('') +
      `p95 ${MAX.toLocaleString()}/${small.toLocaleString()}`,
    ...names.map((n) => {
      const row = SIZES.map((size) => {
        const s = samples.find((x) => x.name === n && x.size === size)!;
        return `${s.p50} / ${s.p95}`.padEnd(24);
      });
      const a = samples.find((x) => x.name === n && x.size === small)!;
      const b = samples.find((x) => x.name === n && x.size === MAX)!;
      return n.padEnd(width) + row.join('') + (b.p95 / a.p95).toFixed(2);
    }),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(REPO_ROOT, 'bench-results', 'bench-search.json'),
    JSON.stringify(
      { node: process.version, cores: cpus().length, runs: RUNS, rate: RATE, fills, samples },
      null,
      2,
    ),
  );
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** The uuid the fill gives actor or organisation number n of a kind (md5 of kind and number, as in the SQL). */
function uuidOf(kind: string, n: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const h = (require('node:crypto') as typeof import('node:crypto'))
    .createHash('md5')
    .update(`${kind}${n}`)
    .digest('hex');
  const v4 = h.slice(0, 12) + '4' + h.slice(13, 16) + 'a' + h.slice(17);
  return `${v4.slice(0, 8)}-${v4.slice(8, 12)}-${v4.slice(12, 16)}-${v4.slice(16, 20)}-${v4.slice(20)}`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
