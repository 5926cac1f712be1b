/*
 * Benchmark of the built service (dist/) on a fresh embedded PostgreSQL.
 *
 *   node -r ts-node/register/transpile-only test/bench/run.ts [--quick] [--connections N] [--duration S] [--keep] [--audit-events N]
 *
 * Seeds realistic data through the HTTP API (1,700 municipalities with valid local government codes,
 * 47 prefectures, facilities and probation offices, tens of thousands of release records by NDJSON
 * import, approved requests), inserts ≥ 1,000,000 audit events with SQL and lets the service seal
 * them, then measures each route with autocannon, the same disclosure SQL with pgbench, a full
 * POST /audit/verify and the peak memory of a full export. Prints a table and writes
 * bench-results/bench.json (bench-quick.json with --quick).
 */
import { measureCryptoCost } from './support/crypto-cost';
import { describeSpeed, machineSpeed } from './support/machine';
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { Api } from './support/http';
import { insertAuditEvents, requestBody, SeededRecord, seedWorld, World } from './support/seed';
import { assertBuilt, baseEnv, ServiceProcess } from './support/service';
import { measureWebhookLag, WebhookLag } from './support/webhook-lag';
import {
  fmtMs,
  freePort,
  log,
  memoryOf,
  descendantsCpuMs,
  now,
  ownCpuMs,
  percentile,
  reapedChildrenCpuMs,
  removeDir,
  REPO_ROOT,
  scratchDir,
  sleep,
} from './support/util';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const KEEP = argv.includes('--keep');
const argNum = (name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : dflt;
};

const P = QUICK
  ? {
      municipalities: 200,
      active: 10,
      holders: 4,
      otherAgencies: 10,
      records: 3_000,
      approved: 2_500,
      events: argNum('--audit-events', 50_000),
      duration: argNum('--duration', 3),
      warmup: 1,
    }
  : {
      municipalities: 1_700,
      active: 40,
      holders: 8,
      otherAgencies: 100,
      records: 30_000,
      approved: 4_000,
      // --audit-events 10000000 measures POST /audit/verify at 10M (sealing them takes about 20 minutes).
      events: argNum('--audit-events', 1_000_000),
      duration: argNum('--duration', 10),
      warmup: 2,
    };
const CONNECTIONS = argNum('--connections', 16);
const argStr = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
/** `--routes live,read,disclosure`: measure only these (default: all); for profiling one path. */
const ROUTE_KEYS = ['live', 'read', 'token', 'create', 'disclosure', 'search', 'pgbench', 'webhooks'] as const;
const ONLY = argStr('--routes')?.split(',');
if (ONLY?.some((k) => !(ROUTE_KEYS as readonly string[]).includes(k))) {
  process.stderr.write(`--routes takes a comma-separated list of ${ROUTE_KEYS.join(', ')}\n`);
  process.exit(2);
}
const want = (key: (typeof ROUTE_KEYS)[number]) => !ONLY || ONLY.includes(key);
/** `--cpu-prof`: the measured service runs with node's --cpu-prof; profiles go to bench-results/profiles/. */
const CPU_PROF = argv.includes('--cpu-prof');

interface RouteResult {
  route: string;
  connections: number;
  seconds: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  peakRssMb?: number;
  loadAvg1mBefore: number;
  /** CPU time per answered request, in ms: where the machine's two cores went. */
  cpuMsPerRequest?: CpuSplit;
}

interface CpuSplit {
  service: number;
  postgres: number;
  loadGenerator: number;
  total: number;
}

/** CPU used by the service process, its PostgreSQL, and this process (the load generator), in ms. */
function cpuNow(svcPid: number) {
  const u = process.cpuUsage();
  return {
    service: ownCpuMs(svcPid),
    postgres: descendantsCpuMs(svcPid),
    loadGenerator: (u.user + u.system) / 1000,
    reaped: reapedChildrenCpuMs(),
  };
}

function cpuPer(
  before: ReturnType<typeof cpuNow>,
  after: ReturnType<typeof cpuNow>,
  n: number,
  generator: 'self' | 'child',
): CpuSplit {
  const per = (ms: number) => round3(ms / Math.max(1, n));
  const service = per(after.service - before.service);
  const postgres = per(after.postgres - before.postgres);
  const loadGenerator = per(
    generator === 'self' ? after.loadGenerator - before.loadGenerator : after.reaped - before.reaped,
  );
  return { service, postgres, loadGenerator, total: round3(service + postgres + loadGenerator) };
}

// ------------------------------------------------------------------------ memory sampling

class RssSampler {
  peakKb = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: () => number) {}
  start(intervalMs = 100) {
    this.peakKb = 0;
    this.timer = setInterval(() => {
      const m = memoryOf(this.pid());
      if (m && m.rssKb > this.peakKb) this.peakKb = m.rssKb;
    }, intervalMs);
    this.timer.unref();
  }
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    const m = memoryOf(this.pid());
    if (m && m.rssKb > this.peakKb) this.peakKb = m.rssKb;
    return this.peakKb;
  }
}

/** Resets the kernel's peak-RSS counter (VmHWM) of a process; answers whether it worked. */
function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------ autocannon

async function cannon(
  svc: ServiceProcess,
  route: string,
  req: autocannon.Request,
  opts: { duration: number; warmup: number; connections: number },
): Promise<RouteResult> {
  const sampler = new RssSampler(() => svc.pid);
  const loadAvg1mBefore = round2(loadavg()[0]!);
  if (opts.warmup > 0)
    await autocannon({
      url: svc.base,
      connections: opts.connections,
      duration: opts.warmup,
      requests: [req],
    });
  sampler.start();
  const cpuBefore = cpuNow(svc.pid);
  const r = await autocannon({
    url: svc.base,
    connections: opts.connections,
    duration: opts.duration,
    requests: [req],
    timeout: 30,
  });
  const peak = sampler.stop();
  const cpuAfter = cpuNow(svc.pid);
  const statusCodes: Record<string, number> = {};
  for (const [code, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[code] = Number(v.count);
  const res: RouteResult = {
    route,
    connections: opts.connections,
    seconds: r.duration,
    reqPerSec: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes,
    peakRssMb: Math.round(peak / 1024),
    loadAvg1mBefore,
    cpuMsPerRequest: cpuPer(cpuBefore, cpuAfter, r['2xx'] + r.non2xx, 'self'),
  };
  log(
    `  ${route}: ${res.reqPerSec.toFixed(0)} req/s, p50 ${res.p50} ms, p99 ${res.p99} ms, 2xx ${res.ok}, non-2xx ${res.non2xx}, errors ${res.errors} ${JSON.stringify(statusCodes)}; CPU ms/request: ${JSON.stringify(res.cpuMsPerRequest)}`,
  );
  return res;
}

// ------------------------------------------------------------------------ pgbench

interface PgbenchResult {
  clients: number;
  seconds: number;
  tps: number;
  p50: number;
  p99: number;
  latencyAvgMs: number;
  transactions: number;
  synchronousCommit: string;
  fsync: string;
  cpuMsPerTransaction?: CpuSplit;
}

async function runPgbench(
  svcPid: number,
  db: PgClient,
  url: string,
  world: World,
  dir: string,
  clients: number,
  seconds: number,
): Promise<PgbenchResult> {
  await db.query('CREATE SCHEMA IF NOT EXISTS bench');
  await db.query('DROP TABLE IF EXISTS bench.disclosure_targets');
  await db.query(
    'CREATE TABLE bench.disclosure_targets (n int PRIMARY KEY, req uuid NOT NULL, org uuid NOT NULL, rec uuid NOT NULL)',
  );
  await db.query(
    `INSERT INTO bench.disclosure_targets SELECT ordinality, t.req, t.org, t.rec FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY AS t(req, org, rec)`,
    [
      world.approved.map((t) => t.requestId),
      world.approved.map((t) => t.orgId),
      world.approved.map((t) => t.recordId),
    ],
  );
  const synchronousCommit = (await db.query('SHOW synchronous_commit')).rows[0].synchronous_commit as string;
  const fsync = (await db.query('SHOW fsync')).rows[0].fsync as string;
  const u = new URL(url);
  const logPrefix = join(dir, 'pgbench_log');
  const args = [
    '-h',
    // The same transport as the service: its Unix socket when it uses one.
    u.searchParams.get('host') ?? u.hostname,
    '-p',
    u.port,
    '-U',
    decodeURIComponent(u.username),
    '-n',
    '-M',
    'extended',
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, cpus().length)),
    '-T',
    String(seconds),
    '-f',
    join(__dirname, 'disclosure.pgbench.sql'),
    '-D',
    `ntargets=${world.approved.length}`,
    '--log',
    `--log-prefix=${logPrefix}`,
    u.pathname.slice(1) || 'postgres',
  ];
  const cpuBefore = cpuNow(svcPid);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('pgbench', args, {
      env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) },
      cwd: dir,
    });
    let text = '';
    child.stdout.on('data', (c: Buffer) => (text += c.toString()));
    child.stderr.on('data', (c: Buffer) => (text += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(text) : reject(new Error(`pgbench exited ${code}:\n${text}`)),
    );
  });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);
  const latencyAvgMs = Number(/latency average = ([\d.]+) ms/.exec(out)?.[1] ?? NaN);
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? NaN);
  await sleep(300); // let the postmaster reap the exited backends, so their CPU time is counted
  const cpuMsPerTransaction = cpuPer(cpuBefore, cpuNow(svcPid), transactions, 'child');
  const lat: number[] = [];
  for (const f of readdirSync(dir).filter((n) => n.startsWith('pgbench_log'))) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const us = Number(line.split(' ')[2]);
      if (Number.isFinite(us) && line) lat.push(us / 1000);
    }
  }
  lat.sort((a, b) => a - b);
  const res = {
    clients,
    seconds,
    tps,
    p50: round2(percentile(lat, 50)),
    p99: round2(percentile(lat, 99)),
    latencyAvgMs,
    transactions,
    synchronousCommit,
    fsync,
    cpuMsPerTransaction,
  };
  log(
    `  pgbench disclosure SQL: ${tps.toFixed(0)} tps, p50 ${res.p50} ms, p99 ${res.p99} ms (synchronous_commit=${synchronousCommit}, fsync=${fsync}); CPU ms/transaction: ${JSON.stringify(cpuMsPerTransaction)}`,
  );
  return res;
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const round3 = (n: number) => Math.round(n * 1000) / 1000;

// ------------------------------------------------------------------------ export and verify

function streamToDevNull(
  base: string,
  path: string,
  token: string,
): Promise<{ status: number; bytes: number; lines: number; ms: number }> {
  const started = now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0;
      let lines = 0;
      const sink = createWriteStream('/dev/null');
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      });
      res.pipe(sink);
      sink.on('finish', () => resolve({ status: res.statusCode ?? 0, bytes, lines, ms: now() - started }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

// ------------------------------------------------------------------------ main

async function main() {
  assertBuilt();
  const t0 = now();
  const scratch = scratchDir('oie-bench');
  const dataDir = join(scratch, 'data');
  const pgPort = await freePort();
  const logFile = join(scratch, 'service.log');
  const envSeed = {
    ...baseEnv(),
    EMBEDDED_PG_PORT: String(pgPort),
    AUDIT_SEAL_INTERVAL_MS: '100',
    SCHEDULER_ENABLED: 'false',
    // The webhook-lag receiver listens on 127.0.0.1 over http.
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  };
  const loadAtStart = loadavg().map(round2);
  log(
    `benchmark (${QUICK ? 'quick' : 'full'}): ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadAtStart.join(' ')}, scratch ${scratch}`,
  );
  if (loadAtStart[0]! > cpus().length * 0.5)
    log(
      `WARNING: the machine is busy (1-min load ${loadAtStart[0]} on ${cpus().length} CPUs); throughput figures will be low and noisy`,
    );

  let svc = await ServiceProcess.start({ name: 'service', dataDir, env: envSeed, logFile });
  log(
    `service ready in ${fmtMs(svc.readyMs)} (pid ${svc.pid}, port ${svc.port}, embedded PostgreSQL on ${pgPort})`,
  );
  const dbUrl = svc.embeddedDbUrl(pgPort);
  const db = new PgClient({ connectionString: dbUrl });
  await db.connect();
  const pgVersion = (await db.query('SHOW server_version')).rows[0].server_version as string;
  let api = new Api(svc.base);

  // ---- seeding through the API
  log('seeding through the HTTP API');
  const tSeed = now();
  const world = await seedWorld(api, {
    municipalities: P.municipalities,
    activeMunicipalities: P.active,
    holders: P.holders,
    otherAgencies: P.otherAgencies,
    records: P.records,
    activeShare: 0.4,
    approvedRequests: P.approved,
    importPerCall: 2_000,
    concurrency: 8,
  });
  const seedMs = now() - tSeed;
  const counts = (
    await db.query(`SELECT (SELECT count(*) FROM organizations)::int AS organizations, (SELECT count(*) FROM release_records)::int AS records,
                           (SELECT count(*) FROM info_requests)::int AS requests, (SELECT count(*) FROM decisions)::int AS decisions,
                           (SELECT count(*) FROM audit_events)::int AS audit_events`)
  ).rows[0] as Record<string, number>;
  log(`seeded in ${fmtMs(seedMs)}: ${JSON.stringify(counts)}`);

  // ---- bulk audit events, sealed by the service
  log(
    `inserting ${P.events.toLocaleString()} audit events with SQL (generate_series); the service seals them (AUDIT_SEAL_INTERVAL_MS=100)`,
  );
  const tIns = now();
  await insertAuditEvents(db, P.events, 250_000, (n) => log(`  inserted ${n.toLocaleString()}`));
  const insertMs = now() - tIns;
  const unsealed = async () =>
    Number(
      (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NULL')).rows[0].n,
    );
  let lastReport = now();
  const sealSampler = new RssSampler(() => svc.pid);
  sealSampler.start(250);
  for (;;) {
    const n = await unsealed();
    if (n === 0) break;
    if (now() - lastReport > 10_000) {
      log(`  ${n.toLocaleString()} events still unsealed`);
      lastReport = now();
    }
    await sleep(250);
  }
  const sealDoneMs = now() - tIns;
  const sealAfterInsertMs = sealDoneMs - insertMs;
  const totalEvents = Number((await db.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n);
  const checkpoints = Number((await db.query('SELECT count(*)::int AS n FROM audit_checkpoints')).rows[0].n);
  const sealing = {
    eventsInserted: P.events,
    insertMs: Math.round(insertMs),
    insertedToAllSealedMs: Math.round(sealAfterInsertMs),
    firstInsertToAllSealedMs: Math.round(sealDoneMs),
    sealedEventsPerSecond: Math.round(P.events / (sealDoneMs / 1000)),
    treeSize: totalEvents,
    checkpoints,
    peakRssMb: Math.round(sealSampler.stop() / 1024),
  };
  log(
    `sealed: ${totalEvents.toLocaleString()} events in the log; insert ${fmtMs(insertMs)}, all sealed ${fmtMs(sealDoneMs)} after the first insert (${fmtMs(sealAfterInsertMs)} after the last), ~${sealing.sealedEventsPerSecond} events/s, ${checkpoints} checkpoints`,
  );

  // ---- restart with the default seal interval for the measurements
  log('restarting the service with the default seal interval (1000 ms)');
  await db.end();
  const stopInfo = await svc.stop('SIGTERM');
  const envRun: Record<string, string> = { ...envSeed };
  delete envRun.AUDIT_SEAL_INTERVAL_MS;
  const profileDir = join(REPO_ROOT, 'bench-results', 'profiles');
  if (CPU_PROF) mkdirSync(profileDir, { recursive: true });
  svc = await ServiceProcess.start({
    name: 'service',
    dataDir,
    env: envRun,
    logFile,
    port: svc.port,
    nodeArgs: CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const restart = {
    stopMs: Math.round(stopInfo.ms),
    exitCode: stopInfo.code,
    readyMs: Math.round(svc.readyMs),
  };
  log(`  stopped in ${fmtMs(stopInfo.ms)} (exit ${stopInfo.code}), ready again in ${fmtMs(svc.readyMs)}`);
  api = new Api(svc.base);
  const db2 = new PgClient({ connectionString: dbUrl });
  await db2.connect();
  // The first sealer tick after a start takes its compact Merkle range from the newest checkpoint
  // (it read every stored leaf hash before checkpoints kept their range); wait for it (one audited
  // call, then until it is sealed) so it does not skew the routes.
  const tFirstSeal = now();
  await api.call('GET', '/api/v1/audit/events?limit=1', { token: world.auditor.token });
  const rebuildSampler = new RssSampler(() => svc.pid);
  rebuildSampler.start();
  while (
    Number(
      (await db2.query('SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NULL')).rows[0].n,
    ) > 0
  )
    await sleep(100);
  const firstSealAfterRestart = {
    ms: Math.round(now() - tFirstSeal),
    peakRssMb: Math.round(rebuildSampler.stop() / 1024),
  };
  log(
    `  first seal after the restart (its range from the newest checkpoint of ${totalEvents.toLocaleString()} leaves) took ${fmtMs(firstSealAfterRestart.ms)}, peak RSS ${firstSealAfterRestart.peakRssMb} MB`,
  );

  // ---- routes
  const opts = { duration: P.duration, warmup: P.warmup, connections: CONNECTIONS };
  const routes: RouteResult[] = [];
  log(`measuring routes: ${CONNECTIONS} connections, ${P.duration} s each (+${P.warmup} s warm-up)`);

  if (want('live'))
    routes.push(await cannon(svc, 'GET /health/live', { method: 'GET', path: '/health/live' }, opts));

  const targets = world.approved;
  let readSeq = 0;
  if (want('read'))
    routes.push(
      await cannon(
        svc,
        'GET /api/v1/requests/:id (municipality)',
        {
          method: 'GET',
          setupRequest: (req) => {
            const t = targets[readSeq++ % targets.length]!;
            return {
              ...req,
              path: `/api/v1/requests/${t.requestId}`,
              headers: { ...req.headers, authorization: `Bearer ${t.token}` },
            };
          },
        },
        opts,
      ),
    );

  let tokSeq = 0;
  const creds = world.active.map((m) => m.client!);
  if (want('token'))
    routes.push(
      await cannon(
        svc,
        'POST /api/v1/auth/token',
        {
          method: 'POST',
          setupRequest: (req) => {
            const c = creds[tokSeq++ % creds.length]!;
            return {
              ...req,
              path: '/api/v1/auth/token',
              headers: { ...req.headers, 'content-type': 'application/x-www-form-urlencoded' },
              body: new URLSearchParams({
                grant_type: 'client_credentials',
                client_id: c.clientId,
                client_secret: c.clientSecret,
              }).toString(),
            };
          },
        },
        opts,
      ),
    );

  const activeCodes = new Map(world.active.map((m) => [m.code, m.token!]));
  const askable = world.records.filter((r) => activeCodes.has(r.code));
  let reqSeq = 0;
  const runTag = Date.now().toString(36);
  if (want('create'))
    routes.push(
      await cannon(
        svc,
        'POST /api/v1/requests',
        {
          method: 'POST',
          setupRequest: (req) => {
            const i = reqSeq++;
            const rec: SeededRecord = askable[(i * 7919) % askable.length]!;
            return {
              ...req,
              path: '/api/v1/requests',
              headers: {
                ...req.headers,
                'content-type': 'application/json',
                authorization: `Bearer ${activeCodes.get(rec.code)}`,
                'idempotency-key': `bench-${runTag}-${i}`,
              },
              body: JSON.stringify(requestBody(rec, i % 2 === 1)),
            };
          },
        },
        opts,
      ),
    );

  // Each approved request allows 5 retrievals: walk through all of them before reusing any, so no
  // two connections fight over one request's row lock and no request is asked for a sixth time.
  let discSeq = 0;
  const capacity = targets.length * 5;
  if (want('disclosure'))
    routes.push(
      await cannon(
        svc,
        'GET /api/v1/requests/:id/disclosure',
        {
          method: 'GET',
          setupRequest: (req) => {
            const t = targets[discSeq++ % targets.length]!;
            return {
              ...req,
              path: `/api/v1/requests/${t.requestId}/disclosure`,
              headers: { ...req.headers, authorization: `Bearer ${t.token}` },
            };
          },
        },
        opts,
      ),
    );
  if (discSeq > capacity)
    log(
      `  note: ${discSeq} disclosure calls for a capacity of ${capacity} retrievals; the excess answered 403 (counted as non-2xx)`,
    );

  const actions = [
    'disclosure.retrieve',
    'request.create',
    'auth.token',
    'access.denied',
    'record.read',
    'request.decide',
  ];
  let searchSeq = 0;
  if (want('search'))
    routes.push(
      await cannon(
        svc,
        'GET /api/v1/audit/events?action=…',
        {
          method: 'GET',
          setupRequest: (req) => ({
            ...req,
            path: `/api/v1/audit/events?action=${actions[searchSeq++ % actions.length]}&limit=50`,
            headers: { ...req.headers, authorization: `Bearer ${world.auditor.token}` },
          }),
        },
        opts,
      ),
    );

  // ---- pgbench: the same SQL as one disclosure, same concurrency, synchronous_commit as configured
  log(`pgbench: the disclosure transaction's SQL, ${CONNECTIONS} clients, ${P.duration} s`);
  const pgbDir = join(scratch, 'pgbench');
  mkdirSync(pgbDir);
  const pgbench = want('pgbench')
    ? await runPgbench(svc.pid, db2, dbUrl, world, pgbDir, CONNECTIONS, P.duration)
    : {
        clients: CONNECTIONS,
        seconds: 0,
        tps: NaN,
        p50: NaN,
        p99: NaN,
        latencyAvgMs: NaN,
        transactions: 0,
        synchronousCommit: '-',
        fsync: '-',
      };

  // ---- webhook delivery lag: event → receiver, 1,000 decisions
  const WEBHOOK_DECISIONS = 1_000;
  let webhooks: WebhookLag | undefined;
  if (want('webhooks')) {
    log(`webhooks: delivery lag of ${WEBHOOK_DECISIONS.toLocaleString()} decisions (request.decided) to a receiver on 127.0.0.1`);
    webhooks = await measureWebhookLag(api, world, world.records, WEBHOOK_DECISIONS, 8);
    log(
      `  ${webhooks.delivered}/${webhooks.decisions} delivered (${webhooks.unverified} unverified, ${webhooks.duplicates} duplicates); lag p50 ${webhooks.lagMs.p50} ms, p99 ${webhooks.lagMs.p99} ms, max ${webhooks.lagMs.max} ms; decisions took ${fmtMs(webhooks.decideMs)}, last delivery ${fmtMs(webhooks.drainMs)} after the first decision`,
    );
  }

  // ---- verify
  log('POST /api/v1/audit/verify over the whole log');
  await sleep(1500);
  // How fast this machine hashes right now: the verification is mostly SHA-256 (support/machine.ts).
  const speedBeforeVerify = machineSpeed();
  log(`  before it, ${describeSpeed(speedBeforeVerify)}`);
  const verifySampler = new RssSampler(() => svc.pid);
  verifySampler.start();
  const verifyCpuBefore = cpuNow(svc.pid);
  const tv = now();
  const vres = await api.call('POST', '/api/v1/audit/verify', {
    token: world.auditor.token,
    json: {},
    timeoutMs: 900_000,
  });
  const verifyMs = now() - tv;
  const verifyCpuAfter = cpuNow(svc.pid);
  const verify = {
    status: vres.status,
    ok: vres.body?.ok === true,
    treeSize: Number(vres.body?.treeSize ?? 0),
    checkpointsVerified: Number(vres.body?.checkpointsVerified ?? 0),
    ms: Math.round(verifyMs),
    eventsPerSecond: Math.round(Number(vres.body?.treeSize ?? 0) / (verifyMs / 1000)),
    machineBefore: speedBeforeVerify,
    peakRssMb: Math.round(verifySampler.stop() / 1024),
    /** CPU time of the whole verification (service process with its worker threads; its PostgreSQL), in ms. */
    cpuMs: {
      service: Math.round(verifyCpuAfter.service - verifyCpuBefore.service),
      postgres: Math.round(verifyCpuAfter.postgres - verifyCpuBefore.postgres),
    },
  };
  log(
    `  ${vres.status} ok=${verify.ok} treeSize ${verify.treeSize.toLocaleString()} in ${fmtMs(verifyMs)} = ${verify.eventsPerSecond.toLocaleString()} events/s; CPU: service ${fmtMs(verify.cpuMs.service)}, PostgreSQL ${fmtMs(verify.cpuMs.postgres)}`,
  );

  // ---- export with peak RSS
  log('GET /api/v1/audit/events/export (NDJSON) to /dev/null, sampling the service RSS');
  await sleep(1000);
  const before = svc.memory();
  const hwmBeforeExport = Math.round((before?.hwmKb ?? 0) / 1024);
  const hwmReset = resetPeakRss(svc.pid);
  const exportSampler = new RssSampler(() => svc.pid);
  exportSampler.start(50);
  const exp = await streamToDevNull(svc.base, '/api/v1/audit/events/export', world.auditor.token);
  const polledPeak = exportSampler.stop();
  const after = svc.memory();
  const exportRes = {
    status: exp.status,
    lines: exp.lines,
    megabytes: Math.round(exp.bytes / 2 ** 20),
    ms: Math.round(exp.ms),
    eventsPerSecond: Math.round(exp.lines / (exp.ms / 1000)),
    rssBeforeMb: Math.round((before?.rssKb ?? 0) / 1024),
    peakRssPolledMb: Math.round(polledPeak / 1024),
    peakRssVmHwmMb: hwmReset ? Math.round((after?.hwmKb ?? 0) / 1024) : null,
    rssAfterMb: Math.round((after?.rssKb ?? 0) / 1024),
  };
  log(
    `  ${exp.status}: ${exp.lines.toLocaleString()} lines, ${exportRes.megabytes} MB in ${fmtMs(exp.ms)}; RSS before ${exportRes.rssBeforeMb} MB, peak ${exportRes.peakRssPolledMb} MB (VmHWM since reset: ${exportRes.peakRssVmHwmMb ?? 'n/a'} MB)`,
  );

  await db2.end();
  const stopped = await svc.stop('SIGTERM');

  // ---- the sealing's share of a disclosure: unwrap the data key and open the record, in this process (service stopped)
  log('sealed records: unwrap + open per disclosure (micro-benchmark)');
  const cryptoCost = await measureCryptoCost();
  log(`  open p50 ${cryptoCost.openMicros.p50} µs, p99 ${cryptoCost.openMicros.p99} µs; seal ${cryptoCost.sealMicrosMean} µs; blind index ${cryptoCost.blindIndexMicrosMean} µs`);

  // ---- report
  const missing: RouteResult = {
    route: '-',
    connections: 0,
    seconds: 0,
    reqPerSec: NaN,
    p50: NaN,
    p99: NaN,
    ok: 0,
    non2xx: 0,
    errors: 0,
    statusCodes: {},
    loadAvg1mBefore: NaN,
  };
  const byName = (prefix: string) => routes.find((r) => r.route.startsWith(prefix)) ?? missing;
  const bare = byName('GET /health/live');
  const authRead = byName('GET /api/v1/requests/:id (');
  const disclosureRoute = byName('GET /api/v1/requests/:id/disclosure');
  const ratios = {
    disclosureOverPgbenchTps: round2(disclosureRoute.reqPerSec / pgbench.tps),
    authenticatedOverBare: round2(authRead.reqPerSec / bare.reqPerSec),
  };
  const table: string[] = [];
  const row = (cells: string[]) => table.push(`| ${cells.join(' | ')} |`);
  const cpuCell = (c?: CpuSplit) =>
    c ? `${c.service.toFixed(2)} / ${c.postgres.toFixed(2)} / ${c.loadGenerator.toFixed(2)}` : '-';
  row([
    'route',
    'conns',
    'req/s',
    'p50 ms',
    'p99 ms',
    '2xx',
    'non-2xx',
    'errors',
    'peak RSS MB',
    'CPU ms per request: service / PostgreSQL / load generator',
  ]);
  row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const r of routes)
    row([
      r.route,
      String(r.connections),
      r.reqPerSec.toFixed(0),
      String(r.p50),
      String(r.p99),
      String(r.ok),
      String(r.non2xx),
      String(r.errors),
      String(r.peakRssMb),
      cpuCell(r.cpuMsPerRequest),
    ]);
  row([
    'pgbench: disclosure SQL (tps)',
    String(pgbench.clients),
    pgbench.tps.toFixed(0),
    String(pgbench.p50),
    String(pgbench.p99),
    String(pgbench.transactions),
    '0',
    '0',
    '-',
    cpuCell(pgbench.cpuMsPerTransaction).replace(/^[^/]+\//, '- /'),
  ]);
  const summary = [
    '',
    table.join('\n'),
    '',
    `disclosure ÷ pgbench tps:   ${ratios.disclosureOverPgbenchTps}  (${disclosureRoute.reqPerSec.toFixed(0)} / ${pgbench.tps.toFixed(0)}; synchronous_commit=${pgbench.synchronousCommit}, fsync=${pgbench.fsync})`,
    `authenticated ÷ bare:       ${ratios.authenticatedOverBare}  (${authRead.reqPerSec.toFixed(0)} / ${bare.reqPerSec.toFixed(0)})`,
    `audit sealing:              ${sealing.eventsInserted.toLocaleString()} events inserted in ${fmtMs(sealing.insertMs)}; all sealed ${fmtMs(sealing.firstInsertToAllSealedMs)} after the first insert (${fmtMs(sealing.insertedToAllSealedMs)} after the last) ≈ ${sealing.sealedEventsPerSecond.toLocaleString()} events/s; ${sealing.checkpoints} checkpoints`,
    `restart with ${sealing.treeSize.toLocaleString()} events:  stop ${fmtMs(restart.stopMs)} (exit ${restart.exitCode}), ready ${fmtMs(restart.readyMs)}`,
    `sealed record per disclosure: unwrap + open ${cryptoCost.columns} columns p50 ${cryptoCost.openMicros.p50} µs, p99 ${cryptoCost.openMicros.p99} µs (mean ${cryptoCost.openMicros.mean} µs; ${cryptoCost.iterations.toLocaleString()} runs); seal on write ${cryptoCost.sealMicrosMean} µs; blind index ${cryptoCost.blindIndexMicrosMean} µs`,
    `POST /audit/verify:         ${verify.status} ok=${verify.ok}, ${verify.treeSize.toLocaleString()} events in ${fmtMs(verify.ms)} = ${verify.eventsPerSecond.toLocaleString()} events/s, peak RSS ${verify.peakRssMb} MB, CPU service ${fmtMs(verify.cpuMs.service)} + PostgreSQL ${fmtMs(verify.cpuMs.postgres)}; machine before it: ${describeSpeed(verify.machineBefore)}`,
    `export (NDJSON → /dev/null): ${exportRes.lines.toLocaleString()} events, ${exportRes.megabytes} MB in ${fmtMs(exportRes.ms)} = ${exportRes.eventsPerSecond.toLocaleString()} events/s; RSS ${exportRes.rssBeforeMb} MB before, peak ${exportRes.peakRssPolledMb} MB polled / ${exportRes.peakRssVmHwmMb ?? 'n/a'} MB VmHWM`,
    webhooks
      ? `webhook delivery lag:       ${webhooks.delivered}/${webhooks.decisions} decisions delivered and verified, event → receiver p50 ${webhooks.lagMs.p50} ms, p99 ${webhooks.lagMs.p99} ms (max ${webhooks.lagMs.max} ms; dispatcher every 500 ms; ${webhooks.duplicates} duplicates, ${webhooks.unverified} unverified)`
      : 'webhook delivery lag:       not measured',
    `first seal after restart:   ${fmtMs(firstSealAfterRestart.ms)} (its Merkle range from the newest checkpoint), peak RSS ${firstSealAfterRestart.peakRssMb} MB`,
    `service peak RSS (VmHWM) from the restart to the export: ${hwmBeforeExport} MB`,
    // The bench's own load (service, PostgreSQL, autocannon) shows here too; only the load at the
    // start says whether other work shared the machine.
    `load average (1 min) at the start ${loadAtStart[0]}${loadAtStart[0]! > cpus().length * 0.5 ? ' ← other work was running: figures are pessimistic' : ''}; before each route (the bench's own load included): ${routes.map((r) => r.loadAvg1mBefore).join(', ')} on ${cpus().length} CPUs`,
    `total run time: ${fmtMs(now() - t0)}`,
  ].join('\n');
  process.stdout.write(summary + '\n');

  const outDir = join(REPO_ROOT, 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, QUICK ? 'bench-quick.json' : 'bench.json');
  const result = {
    mode: QUICK ? 'quick' : 'full',
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgres: pgVersion,
      loadAvgAtStart: loadAtStart,
      loadAvgAtEnd: loadavg().map(round2),
    },
    parameters: { ...P, connections: CONNECTIONS },
    seeding: {
      ms: Math.round(seedMs),
      counts,
      steps: Object.fromEntries(Object.entries(world.timings).map(([k, v]) => [k, Math.round(v)])),
    },
    sealing,
    restart,
    routes,
    pgbench,
    cryptoCost,
    ratios,
    verify,
    export: exportRes,
    webhooks: webhooks ?? null,
    firstSealAfterRestart,
    servicePeakRssMbRestartToExport: hwmBeforeExport,
    shutdown: { ms: Math.round(stopped.ms), exitCode: stopped.code },
    totalMs: Math.round(now() - t0),
  };
  writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  log(`wrote ${outFile.slice(REPO_ROOT.length + 1)}`);
  if (KEEP) log(`kept ${scratch}`);
  else removeDir(scratch);
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
