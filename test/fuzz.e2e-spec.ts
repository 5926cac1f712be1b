import fc from 'fast-check';
import http from 'node:http';
import { EventEmitter } from 'node:events';
import supertest, { Response } from 'supertest';
import { Caller } from './authz-table';
import {
  consoleLoginForm,
  cookieFrom,
  csrfFrom,
  LOGIN_CSRF_COOKIE,
  SESSION_COOKIE,
} from './support/authz-console';
import { discoverNestRoutes } from './support/authz-routes';
import { AuthzWorld, buildAuthzWorld, createUserOnly } from './support/authz-world';
import { idemKey, recordBody, requestBody, safeguardsBody } from './support/exchange-fixtures';
import {
  badQueries,
  BodyCase,
  hostileString,
  INJECTION,
  malformedBodies,
  MUTATION_CLASSES,
  MutationClass,
  mutatedBodies,
  notInteger,
  notUuid,
  oversized,
  plainTextBreaker,
  POLLUTION_MARKER,
  QueryCase,
  RawBody,
  Schema,
  UNICODE_TRICKY,
  wellFormed,
} from './support/fuzz-inputs';
import * as S from './support/fuzz-schemas';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/**
 * Hostile input against every route that reads a body, a query or a path parameter, sent as a
 * caller the route admits so that it reaches validation. Properties are grouped per route; each
 * group runs its properties side by side and compares the database before and after.
 *
 * Refused inputs (certainly invalid): never 5xx, never 2xx, problem+json (API) or an error page or
 * error redirect (console), and nothing changes in the database. Robust inputs (hostile but maybe
 * valid text): never 5xx, well-formed errors, and what is stored is what was sent.
 */

type Who = Caller | 'mfa_pending';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Call {
  method: Method;
  path: string;
  query?: string;
  who: Who;
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  contentType?: string;
  body?: string;
}

const STATE_TABLES: Record<string, string> = {
  organizations: 't::text',
  users:
    '(t.id, t.username, t.display_name, t.organization_id, t.roles, t.password_hash, t.totp_enabled, t.disabled, t.token_version)::text',
  api_clients: 't::text',
  safeguards: 't::text',
  release_records: 't::text',
  info_requests: 't::text',
  decisions: 't::text',
  disclosures: 't::text',
  console_sessions: '(t.id_hash, t.user_id, t.mfa_pending, t.token_version, t.expires_at)::text',
  webhook_subscriptions: 't::text',
  webhook_deliveries: 't::text',
  erasure_obligations: 't::text',
  erasure_attestations: 't::text',
  audit_reviews: 't::text',
};

/** Runs tasks with at most `n` at a time; answers every outcome. */
async function pool<T>(tasks: (() => Promise<T>)[], n: number): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        try {
          results[i] = { status: 'fulfilled', value: await tasks[i]!() };
        } catch (reason) {
          results[i] = { status: 'rejected', reason };
        }
      }
    }),
  );
  return results;
}

const form = (fields: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(fields))
    for (const one of ([] as string[]).concat(v)) p.append(k, wellFormed(one));
  return p.toString();
};

describe('fuzz: hostile input never breaks the service', () => {
  let t: TestApp;
  let a: AuthzWorld;
  let base: string;
  let agent: http.Agent;
  let pendingToken: string;
  let pendingConsole: { cookie: string; csrf: string };
  let planned = 0;
  let executed = 0;
  const started = Date.now();
  let setupDone = 0;
  const protoBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  const outerObjectPrototype = Object.getPrototypeOf(EventEmitter.prototype) as object;
  const outerProtoBefore = Object.getOwnPropertyNames(outerObjectPrototype).sort();

  beforeAll(async () => {
    t = await createTestApp({
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_PER_MINUTE: '100000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
      // Hundreds of failed sign-ins from one address by design: the sign-in throttle (tested in
      // sign-in.e2e-spec.ts) would otherwise answer 429 part-way, depending on the cases drawn.
      LOGIN_MAX_FAILURES: '100',
    });
    a = await buildAuthzWorld(t);
    // A staff user who signed in but has not completed TOTP (the API's and the console's enrolment routes).
    const pending = await createUserOnly(t, a.tokens.admin, a.w.facility.id, ['case_officer']);
    pendingToken = (
      await t.http.post(`${API}/auth/login`).send({ username: pending.username, password: pending.password })
    ).body.access_token;
    await t.http.post(`${API}/auth/mfa/enroll`).set(bearer(pendingToken)).expect(200);
    const loginCsrf = await consoleLoginForm(t);
    const signedIn = await t.http
      .post('/console/login')
      .set('Cookie', `${LOGIN_CSRF_COOKIE}=${loginCsrf}`)
      .type('form')
      .send({ _csrf: loginCsrf, username: pending.username, password: pending.password });
    const cookie = cookieFrom(signedIn, SESSION_COOKIE)!;
    const mfaPage = await t.http.get('/console/mfa').set('Cookie', `${SESSION_COOKIE}=${cookie}`);
    pendingConsole = { cookie, csrf: csrfFrom(mfaPage.text)! };
    if (!pendingToken || !pendingConsole.csrf) throw new Error('could not prepare the TOTP-pending callers');

    const server = t.app.getHttpServer() as http.Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    setupDone = Date.now();
  }, 90_000);

  afterAll(async () => {
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `fuzz: ${planned} generated cases planned (sum of numRuns), ${executed} requests sent; setup ${s(setupDone - started)}, fuzzing ${s(Date.now() - setupDone)}`,
    );
    agent?.destroy();
    await t?.close();
  });

  // ---- sending and judging -------------------------------------------------------------------

  function send(c: Call): Promise<Response> {
    let req = supertest(base)
      [c.method](c.path + (c.query ? `?${c.query}` : ''))
      .agent(agent);
    const cookies = { ...c.cookies };
    if (c.who === 'mfa_pending') req = req.set(bearer(pendingToken));
    else if (c.who !== 'anonymous') {
      const session = c.path.startsWith('/console') ? a.consoleSessions[c.who] : undefined;
      if (session) cookies[SESSION_COOKIE] = session.cookie;
      else req = req.set(bearer(a.tokens[c.who]));
    }
    if (Object.keys(cookies).length)
      req = req.set(
        'Cookie',
        Object.entries(cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      );
    for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
    executed += 1;
    if (c.body !== undefined)
      return req.set('Content-Type', c.contentType ?? 'application/json').send(c.body);
    return req;
  }

  const LEAKS =
    /QueryFailedError|TypeORMError|node_modules|\bat [\w.<>]+ \(|\bSELECT\b|\bINSERT\b|\bUPDATE\b.*\bSET\b|invalid input syntax|violates .* constraint|stack/;

  /** Why an answer is wrong, or undefined. `refused`: the input is certainly invalid. */
  function judge(c: Call, res: Response, refused: boolean): string | undefined {
    const where = `${c.method.toUpperCase()} ${c.path}${c.query ? '?' + c.query.slice(0, 120) : ''} → ${res.status}`;
    const snippet = () =>
      res.headers['content-type']?.includes('json')
        ? JSON.stringify(res.body).slice(0, 300)
        : String(res.headers.location ?? res.text?.slice(0, 120) ?? '');
    if (res.status >= 500) return `${where}: server error ${snippet()}`;
    if (c.path.startsWith('/console')) {
      const location = String(res.headers.location ?? '');
      const errorRedirect =
        res.status === 303 && (/[?&]e=/.test(location) || location.startsWith('/console/login'));
      if (refused && !(res.status >= 400 || errorRedirect)) return `${where}: accepted ${location}`;
      if (res.status >= 400 && !/^text\/html/.test(String(res.headers['content-type'])))
        return `${where}: console error is not a page (${res.headers['content-type']})`;
      return undefined;
    }
    if (refused && res.status < 400) return `${where}: accepted ${snippet()}`;
    if (res.status >= 400) {
      // OAuth errors of the token endpoint are application/json (RFC 6749 §5.2), with the problem members beside `error`.
      const oauthError = /\/auth\/token$/.test(c.path) && typeof (res.body as { error?: unknown })?.error === 'string';
      if (!/^application\/problem\+json/.test(String(res.headers['content-type'])) && !(oauthError && /^application\/json/.test(String(res.headers['content-type']))))
        return `${where}: not problem+json (${res.headers['content-type']})`;
      const p = res.body as { type?: unknown; title?: unknown; status?: unknown };
      if (
        typeof p.type !== 'string' ||
        !/^https?:\/\/\S+$/.test(p.type) ||
        typeof p.title !== 'string' ||
        !p.title ||
        p.status !== res.status
      )
        return `${where}: incomplete problem ${snippet()}`;
      const { instance: _instance, ...rest } = res.body as Record<string, unknown>;
      if (LEAKS.test(JSON.stringify(rest))) return `${where}: internals in the problem ${snippet()}`;
    }
    return undefined;
  }

  async function digest(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [table, row] of Object.entries(STATE_TABLES)) {
      const r = await t.db.query<{ n: number; h: string }>(
        `SELECT count(*)::int AS n, md5(coalesce(string_agg(${row}, '|' ORDER BY ${row}), '')) AS h FROM ${table} t`,
      );
      out[table] = `${r.rows[0]!.n} rows ${r.rows[0]!.h}`;
    }
    return out;
  }

  interface Prop {
    name: string;
    runs: number;
    property: fc.IAsyncProperty<[unknown]>;
  }

  /** A property: generate, send, judge; throws (fails) with the reason. */
  function prop<T>(
    name: string,
    runs: number,
    arb: fc.Arbitrary<T>,
    toCall: (v: T) => Call,
    check: (res: Response, call: Call, v: T) => string | undefined,
  ): Prop {
    planned += runs;
    return {
      name,
      runs,
      property: fc.asyncProperty(fc.limitShrink(arb, 40), async (v: T) => {
        const call = toCall(v);
        const res = await send(call);
        const problem = check(res, call, v);
        if (problem) throw new Error(problem);
      }) as unknown as fc.IAsyncProperty<[unknown]>,
    };
  }

  /** Runs a group of properties side by side; with `unchanged`, the database must be the same after. */
  async function runGroup(props: Prop[], unchanged: boolean): Promise<void> {
    const before = unchanged ? await digest() : undefined;
    const results = await pool(
      props.map(
        (p) => () =>
          fc.assert(p.property, {
            numRuns: p.runs,
            seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined,
          }),
      ),
      6,
    );
    const failures = results.flatMap((r, i) => {
      if (r.status !== 'rejected') return [];
      const err = r.reason as Error & { cause?: Error };
      const lines = String(err.message).split('\n');
      const counterexample = lines.find((l) => l.startsWith('Counterexample')) ?? lines[0];
      const seed = lines.find((l) => l.includes('seed')) ?? '';
      return [`[${props[i]!.name}] ${err.cause?.message ?? lines[0]}\n  ${counterexample}\n  ${seed.trim()}`];
    });
    if (before) {
      const after = await digest();
      for (const table of Object.keys(before))
        if (before[table] !== after[table])
          failures.push(`state changed by refused input: ${table} ${before[table]} → ${after[table]}`);
    }
    expect(failures).toEqual([]);
  }

  const refused = (res: Response, call: Call) => judge(call, res, true);
  const robust = (res: Response, call: Call) => judge(call, res, false);

  // ---- targets ---------------------------------------------------------------------------------

  interface BodyTarget {
    route: string;
    who: Who;
    schema: Schema;
    body: () => Record<string, unknown>;
    params?: () => Record<string, string>;
    headers?: () => Record<string, string>;
    runs?: number;
  }

  const fill = (template: string, params: Record<string, string> = {}) =>
    template.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(params[k]!));
  const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

  const BODY_TARGETS: BodyTarget[] = [
    {
      route: 'POST /api/v1/auth/token',
      who: 'anonymous',
      schema: S.TOKEN,
      body: () => ({
        grant_type: 'client_credentials',
        client_id: 'oie_fuzz_nobody',
        client_secret: 'not-the-secret',
      }),
    },
    {
      route: 'POST /api/v1/auth/login',
      who: 'anonymous',
      schema: S.LOGIN,
      body: () => ({ username: 'fuzz.nobody', password: 'not-the-password' }),
    },
    {
      route: 'POST /api/v1/auth/mfa/verify',
      who: 'mfa_pending',
      schema: S.MFA_VERIFY,
      body: () => ({ code: '123456' }),
    },
    {
      route: 'POST /api/v1/organizations',
      who: 'admin',
      schema: S.CREATE_ORGANIZATION,
      body: () => ({
        kind: 'municipality',
        name: '試験市',
        localGovernmentCode: '271004',
        parentId: a.w.prefecture.id,
      }),
    },
    {
      route: 'POST /api/v1/organizations/:id/clients',
      who: 'admin',
      schema: S.CREATE_CLIENT,
      body: () => ({ name: 'fuzz', scopes: ['requests:write'] }),
      params: () => ({ id: a.cityD.id }),
    },
    {
      route: 'POST /api/v1/users',
      who: 'admin',
      schema: S.CREATE_USER,
      body: () => ({
        username: 'fuzz.user',
        displayName: '試験',
        organizationId: a.w.facility.id,
        roles: ['case_officer'],
        password: 'long-enough-password',
      }),
    },
    {
      route: 'PATCH /api/v1/users/:id',
      who: 'admin',
      schema: S.UPDATE_USER,
      body: () => ({ displayName: '試験', roles: ['case_officer'], disabled: false }),
      params: () => ({ id: a.patchUser.id }),
    },
    {
      route: 'PUT /api/v1/safeguards',
      who: 'municipality',
      schema: S.REGISTER_SAFEGUARDS,
      body: () => safeguardsBody({ overallManager: '副市長', fileRegisterEntry: '第1号' }),
    },
    {
      route: 'POST /api/v1/safeguards/:id/verify',
      who: 'safeguard_reviewer',
      schema: S.VERIFY_SAFEGUARDS,
      body: () => ({ validUntil: future(30) }),
      params: () => ({ id: a.sgToVerify }),
    },
    {
      route: 'POST /api/v1/safeguards/:id/reject',
      who: 'safeguard_reviewer',
      schema: S.REASON,
      body: () => ({ reason: '不足' }),
      params: () => ({ id: a.sgToReject }),
    },
    {
      route: 'POST /api/v1/safeguards/:id/suspend',
      who: 'safeguard_reviewer',
      schema: S.REASON,
      body: () => ({ reason: '停止' }),
      params: () => ({ id: a.sgToSuspend }),
    },
    {
      route: 'POST /api/v1/release-records',
      who: 'agency_client',
      schema: S.RELEASE_RECORD,
      body: () =>
        recordBody({
          consents: [
            {
              recipientOrganizationId: a.w.city.id,
              purposes: ['reintegration_support'],
              categories: ['identity'],
              signedOn: '2026-03-01',
              validUntil: '2027-03-01',
            },
          ],
        }),
      runs: 260,
    },
    {
      route: 'PATCH /api/v1/release-records/:id',
      who: 'case_officer',
      schema: S.UPDATE_RELEASE_RECORD,
      body: () => ({
        facilityName: '大阪刑務所',
        supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31' },
        supportNeeds: { needs: ['housing'] },
      }),
      params: () => ({ id: a.record.id }),
    },
    {
      route: 'POST /api/v1/requests',
      who: 'municipality',
      schema: S.CREATE_REQUEST,
      body: () => requestBody({ recordRef: a.record.recordRef }),
      headers: () => ({ 'Idempotency-Key': idemKey() }),
      runs: 260,
    },
    {
      route: 'POST /api/v1/requests/:id/withdraw',
      who: 'municipality',
      schema: S.WITHDRAW,
      body: () => ({ reason: '転居' }),
      params: () => ({ id: a.reqToWithdraw }),
    },
    {
      route: 'POST /api/v1/requests/:id/erasure',
      who: 'municipality',
      schema: S.ERASURE,
      body: () => ({ disposedOn: '2026-01-05', method: '裁断', attestedBy: { name: '大阪 花子', title: '福祉局長' } }),
      params: () => ({ id: a.reqErasure }),
    },
    {
      route: 'POST /api/v1/requests/:id/decisions',
      who: 'case_officer',
      schema: S.DECIDE,
      body: () => ({
        decision: 'approve',
        categories: ['identity'],
        accessUntil: future(7),
        maxRetrievals: 2,
        reason: '確認',
      }),
      params: () => ({ id: a.reqToDecide }),
    },
    {
      route: 'POST /api/v1/requests/:id/revoke',
      who: 'case_officer',
      schema: S.REVOKE,
      body: () => ({ reason: '撤回' }),
      params: () => ({ id: a.reqToRevoke }),
    },
    {
      route: 'POST /api/v1/webhooks',
      who: 'municipality',
      schema: S.CREATE_WEBHOOK,
      body: () => ({
        url: 'https://hooks.example.com/oie',
        events: ['request.decided', 'request.revoked'],
        description: '試験',
        organizationId: a.w.city.id,
      }),
    },
    { route: 'POST /api/v1/audit/verify', who: 'auditor', schema: S.EMPTY, body: () => ({}), runs: 40 },
    {
      route: 'POST /api/v1/audit/reviews',
      who: 'auditor',
      schema: S.CREATE_REVIEW,
      body: () => ({ kind: 'period', from: '2026-11-01', to: '2026-11-30', conclusion: '期間内の決裁と提供を確認した。' }),
    },
  ];

  /** Runs per mutation class, scaled by the target's budget. */
  const CLASS_SHARE: Record<MutationClass, number> = {
    'unknown-field': 0.2,
    'wrong-type': 0.28,
    oversized: 0.1,
    'control-chars': 0.14,
    'bad-format': 0.16,
    'missing-field': 0.07,
    'deep-nesting': 0.07,
  };

  function bodyProps(target: BodyTarget): Prop[] {
    const [method, template] = target.route.split(' ') as [string, string];
    const budget = target.runs ?? 185;
    const props: Prop[] = [];
    for (const cls of MUTATION_CLASSES) {
      const arb = mutatedBodies(target.schema, target.body(), cls);
      if (!arb) continue;
      const runs = Math.max(10, Math.round(budget * CLASS_SHARE[cls]));
      props.push(
        prop(
          `${target.route} ${cls}`,
          runs,
          arb,
          (c: BodyCase) => ({
            method: method.toLowerCase() as Method,
            path: fill(template, target.params?.()),
            who: target.who,
            headers: target.headers?.(),
            body: c.json,
          }),
          refused,
        ),
      );
    }
    return props;
  }

  // ---- the routes that take input are all covered ------------------------------------------------

  it('has a fuzz target for every route that reads a body, a query or a path parameter', () => {
    const covered = new Set([
      ...BODY_TARGETS.map((b) => b.route),
      ...Object.keys(S.QUERIES),
      ...PATH_TARGETS.map((p) => p.route),
      ...Object.keys(CONSOLE_COVERAGE),
      'POST /api/v1/release-records/import',
    ]);
    const routes = discoverNestRoutes(t.app).filter(
      (r) => r.inputs.has('body') || r.inputs.has('query') || r.inputs.has('param'),
    );
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((r) => r.key).filter((k) => !covered.has(k))).toEqual([]);
  });

  // ---- refused: bodies the parser must refuse before anything else runs --------------------------

  it('refuses malformed, mistyped and oversized bodies at the parser (400/413/415) on every body route', async () => {
    const props = BODY_TARGETS.map((target) => {
      const [method, template] = target.route.split(' ') as [string, string];
      return prop(
        `${target.route} malformed`,
        160,
        malformedBodies(JSON.stringify(target.body())),
        (c: RawBody) => ({
          method: method.toLowerCase() as Method,
          path: fill(template, target.params?.()),
          who: target.who,
          contentType: c.contentType,
          body: c.body,
        }),
        (res, call, c) =>
          refused(res, call) ??
          (!c.status.includes(res.status)
            ? `${call.method.toUpperCase()} ${call.path}: ${c.what} answered ${res.status}, expected ${c.status.join(' or ')}`
            : undefined),
      );
    });
    await runGroup(props, true);
  });

  // ---- refused: one broken rule in an otherwise valid body ------------------------------------------

  describe('refuses a body that breaks one rule and changes nothing', () => {
    it.each(BODY_TARGETS.map((b) => [b.route, b] as const))('%s', async (_route, target) => {
      await runGroup(bodyProps(target), true);
    });

    it('POST /api/v1/auth/token (form): repeated, missing or wrong fields', async () => {
      const field = fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope');
      const arb = fc.oneof(
        fc.tuple(field, hostileString, hostileString).map(([k, v1, v2]) => ({
          grant_type: 'client_credentials',
          client_id: 'x',
          client_secret: 'y',
          [k]: [v1, v2],
        })),
        fc.constantFrom('grant_type', 'client_id', 'client_secret').map((k) => {
          const f: Record<string, string> = {
            grant_type: 'client_credentials',
            client_id: 'x',
            client_secret: 'y',
          };
          delete f[k];
          return f;
        }),
        hostileString
          .filter((g) => g !== 'client_credentials')
          .map((g) => ({ grant_type: g, client_id: 'x', client_secret: 'y' })),
      );
      await runGroup(
        [
          prop(
            'token form',
            100,
            arb,
            (f) => ({
              method: 'post',
              path: `${API}/auth/token`,
              who: 'anonymous',
              contentType: 'application/x-www-form-urlencoded',
              body: form(f),
            }),
            refused,
          ),
        ],
        true,
      );
    });

    it('POST /api/v1/requests: a missing or malformed Idempotency-Key', async () => {
      const printable = fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 60,
      });
      const valid = (k: string) => /^[A-Za-z0-9_.:-]{1,200}$/.test(k);
      const arb = fc.oneof(
        printable.filter((k) => !valid(k) && k.trim() === k),
        fc.integer({ min: 201, max: 1000 }).map((n) => 'k'.repeat(n)),
        fc.constantFrom(...INJECTION.filter((s) => /^[\x20-\x7e]+$/.test(s) && s.trim() === s && !valid(s))),
        fc.constant(undefined),
      );
      const body = JSON.stringify(requestBody({ recordRef: a.record.recordRef }));
      await runGroup(
        [
          prop(
            'idempotency key',
            100,
            arb,
            (key) => ({
              method: 'post',
              path: `${API}/requests`,
              who: 'municipality',
              headers: key === undefined ? {} : ({ 'Idempotency-Key': key } as Record<string, string>),
              body,
            }),
            refused,
          ),
        ],
        true,
      );
    });

    it('POST /api/v1/release-records/import: NDJSON and CSV lines that are all invalid store nothing', async () => {
      const recordBase = recordBody({
        consents: [{ purposes: ['reintegration_support'], categories: ['identity'], signedOn: '2026-03-01' }],
      });
      const line = fc
        .constantFrom(...MUTATION_CLASSES.filter((c) => mutatedBodies(S.RELEASE_RECORD, recordBase, c)))
        .chain((c) => mutatedBodies(S.RELEASE_RECORD, recordBase, c)!);
      const ndjson = fc.array(
        fc.oneof(
          line.map((l) => l.json),
          fc.constantFrom('{', '[]', 'null', '"x"', '{"__proto__":{"oiePolluted":"yes"}}', '\u0000'),
        ),
        { minLength: 1, maxLength: 4 },
      );
      const columns = [
        'externalRef',
        'fullName',
        'birthDate',
        'sex',
        'releaseDate',
        'releaseType',
        'plannedResidence.address',
        'plannedResidence.localGovernmentCode',
      ];
      const good = [
        'OSK-CSV-1',
        '法務 太郎',
        '1980-04-01',
        'male',
        '2026-12-15',
        'parole',
        '大阪市北区',
        '271004',
      ];
      const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
      const csv = fc
        .oneof(
          // (an empty cell is skipped by the importer, so the hostile column carries a value)
          fc
            .tuple(
              fc.constantFrom(
                '__proto__.oiePolluted',
                'constructor.prototype.oiePolluted',
                'plannedResidence.__proto__.x',
                'a..b',
                '.x',
                'prototype',
              ),
              hostileString.filter((v) => v.trim() !== ''),
            )
            .map(([col, v]) => [
              [...columns, col],
              [...good, v],
            ]),
          fc
            .tuple(
              fc.constantFrom(2, 3, 5),
              hostileString.filter(
                (v) =>
                  !/^\d{4}-\d{2}-\d{2}$/.test(v) &&
                  !['male', 'female', 'other', 'unknown', 'parole'].includes(v),
              ),
            )
            .map(([i, v]) => [columns, good.map((g, j) => (j === i ? v : g))]),
        )
        .map((rows) => rows.map((r) => r.map((c) => quote(wellFormed(c))).join(',')).join('\n'));
      // The import answers 200 with a per-line report: every line must be rejected, none stored.
      const check = (res: Response, call: Call) =>
        res.status === 200
          ? res.body.accepted !== 0 || res.body.rejected < 1
            ? `import stored lines: ${JSON.stringify(res.body).slice(0, 200)} from ${call.body!.slice(0, 1200)}`
            : undefined
          : refused(res, call);
      await runGroup(
        [
          prop(
            'ndjson',
            100,
            ndjson,
            (lines) => ({
              method: 'post',
              path: `${API}/release-records/import`,
              who: 'agency_client',
              contentType: 'application/x-ndjson',
              body: lines.join('\n'),
            }),
            check,
          ),
          prop(
            'csv',
            60,
            csv,
            (text) => ({
              method: 'post',
              path: `${API}/release-records/import`,
              who: 'agency_client',
              contentType: 'text/csv',
              body: text,
            }),
            check,
          ),
        ],
        true,
      );
    });
  });

  // ---- refused: queries -----------------------------------------------------------------------------

  const QUERY_CALLERS: Record<string, Who> = {
    'GET /api/v1/organizations': 'admin',
    'GET /api/v1/users': 'admin',
    'GET /api/v1/safeguards': 'safeguard_reviewer',
    'GET /api/v1/erasure': 'safeguard_reviewer',
    'GET /api/v1/release-records': 'case_officer',
    'GET /api/v1/requests': 'municipality',
    'GET /api/v1/webhooks': 'municipality',
    'GET /api/v1/webhooks/:id/deliveries': 'municipality',
    'GET /api/v1/audit/events': 'auditor',
    'GET /api/v1/audit/events/export': 'auditor',
    'GET /api/v1/audit/checkpoints': 'auditor',
    'GET /api/v1/audit/events/:index/proof': 'auditor',
    'GET /api/v1/audit/consistency': 'auditor',
    'GET /api/v1/statistics': 'auditor',
    'GET /api/v1/audit/reviews': 'auditor',
    'GET /api/v1/audit/anomalies': 'auditor',
  };

  it('refuses unknown, repeated and malformed query parameters (including impossible dates) with 400', async () => {
    const props = Object.entries(S.QUERIES).map(([route, schema]) => {
      const template = route.split(' ')[1]!;
      const baseQuery: [string, string][] = route.endsWith('/consistency')
        ? [
            ['from', '1'],
            ['to', '1'],
          ]
        : [];
      return prop(
        `${route} query`,
        130,
        badQueries(schema, baseQuery),
        (q: QueryCase) => ({
          method: 'get',
          path: fill(template, { index: '0', id: a.webhook.id }),
          query: q.query,
          who: QUERY_CALLERS[route]!,
        }),
        (res, call) =>
          refused(res, call) ??
          (res.status !== 400 ? `${call.path}?${call.query}: ${res.status}, expected 400` : undefined),
      );
    });
    await runGroup(props, true);
  });

  // ---- refused: path parameters ---------------------------------------------------------------------

  interface PathTarget {
    route: string;
    who: Who;
    param: string;
    other?: () => Record<string, string>;
    arb: fc.Arbitrary<string>;
    body?: () => string;
    form?: () => Record<string, string>;
    /** The status every such value must get. */
    status?: number;
  }
  const PATH_TARGETS: PathTarget[] = [
    {
      route: 'GET /problems/:slug',
      who: 'anonymous',
      param: 'slug',
      arb: hostileString.filter((s) => s.length > 0 && s !== '.' && s !== '..' && !/^[a-z-]+$/.test(s)),
      status: 404,
    },
    { route: 'GET /api/v1/organizations/:id', who: 'admin', param: 'id', arb: notUuid, status: 400 },
    {
      route: 'POST /api/v1/organizations/:id/clients',
      who: 'admin',
      param: 'id',
      arb: notUuid,
      body: () => '{}',
      status: 400,
    },
    { route: 'GET /api/v1/organizations/:id/clients', who: 'admin', param: 'id', arb: notUuid, status: 400 },
    {
      route: 'GET /api/v1/organizations/:id/safeguards',
      who: 'safeguard_reviewer',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    {
      route: 'DELETE /api/v1/clients/:clientId',
      who: 'admin',
      param: 'clientId',
      arb: fc.oneof(hostileString, notUuid).filter((s) => s.length > 0 && s !== '.' && s !== '..'),
      status: 404,
    },
    {
      route: 'PATCH /api/v1/users/:id',
      who: 'admin',
      param: 'id',
      arb: notUuid,
      body: () => '{"displayName":"x"}',
      status: 400,
    },
    {
      route: 'POST /api/v1/safeguards/:id/verify',
      who: 'safeguard_reviewer',
      param: 'id',
      arb: notUuid,
      body: () => '{}',
      status: 400,
    },
    {
      route: 'POST /api/v1/safeguards/:id/reject',
      who: 'safeguard_reviewer',
      param: 'id',
      arb: notUuid,
      body: () => '{"reason":"x"}',
      status: 400,
    },
    {
      route: 'POST /api/v1/safeguards/:id/suspend',
      who: 'safeguard_reviewer',
      param: 'id',
      arb: notUuid,
      body: () => '{"reason":"x"}',
      status: 400,
    },
    { route: 'GET /api/v1/release-records/:id', who: 'case_officer', param: 'id', arb: notUuid, status: 400 },
    {
      route: 'PATCH /api/v1/release-records/:id',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      body: () => '{"facilityName":"x"}',
      status: 400,
    },
    {
      route: 'GET /api/v1/release-records/:id/disclosures',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    { route: 'GET /api/v1/requests/:id', who: 'municipality', param: 'id', arb: notUuid, status: 400 },
    {
      route: 'POST /api/v1/requests/:id/withdraw',
      who: 'municipality',
      param: 'id',
      arb: notUuid,
      body: () => '{}',
      status: 400,
    },
    {
      route: 'POST /api/v1/requests/:id/decisions',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      body: () => '{"decision":"reject","reason":"x"}',
      status: 400,
    },
    {
      route: 'GET /api/v1/requests/:id/decisions',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    {
      route: 'POST /api/v1/requests/:id/revoke',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      body: () => '{"reason":"x"}',
      status: 400,
    },
    {
      route: 'GET /api/v1/requests/:id/disclosure',
      who: 'municipality',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    {
      route: 'POST /api/v1/requests/:id/erasure',
      who: 'municipality',
      param: 'id',
      arb: notUuid,
      body: () => '{"disposedOn":"2026-01-05","method":"x","attestedBy":{"name":"x","title":"x"}}',
      status: 400,
    },
    {
      route: 'GET /api/v1/audit/events/:index/proof',
      who: 'auditor',
      param: 'index',
      arb: notInteger,
      status: 400,
    },
    { route: 'GET /api/v1/audit/records/:recordId/report', who: 'auditor', param: 'recordId', arb: notUuid, status: 400 },
    ...['GET /api/v1/webhooks/:id', 'DELETE /api/v1/webhooks/:id', 'POST /api/v1/webhooks/:id/rotate-secret', 'POST /api/v1/webhooks/:id/ping', 'GET /api/v1/webhooks/:id/deliveries'].map(
      (route): PathTarget => ({ route, who: 'municipality', param: 'id', arb: notUuid, status: 400 }),
    ),
    {
      route: 'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      who: 'municipality',
      param: 'id',
      other: () => ({ deliveryId: a.webhookDelivery }),
      arb: notUuid,
      status: 400,
    },
    {
      route: 'POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      who: 'municipality',
      param: 'deliveryId',
      other: () => ({ id: a.webhook.id }),
      arb: notUuid,
      status: 400,
    },
    { route: 'GET /console/requests/:id', who: 'case_officer', param: 'id', arb: notUuid, status: 400 },
    { route: 'GET /console/audit/requests/:id', who: 'auditor', param: 'id', arb: notUuid, status: 400 },
    { route: 'GET /console/audit/records/:id', who: 'auditor', param: 'id', arb: notUuid, status: 400 },
    {
      route: 'GET /console/requests/:id/record',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    {
      route: 'POST /console/requests/:id/decide',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      form: () => ({ decision: 'reject', reason: 'x' }),
      status: 400,
    },
    {
      route: 'POST /console/requests/:id/revoke',
      who: 'case_officer',
      param: 'id',
      arb: notUuid,
      form: () => ({ reason: 'x' }),
      status: 400,
    },
    ...['POST /console/requests/:id/take', 'POST /console/requests/:id/release'].map(
      (route): PathTarget => ({ route, who: 'case_officer', param: 'id', arb: notUuid, form: () => ({}), status: 400 }),
    ),
    {
      route: 'GET /console/safeguards/:id',
      who: 'safeguard_reviewer',
      param: 'id',
      arb: notUuid,
      status: 400,
    },
    {
      route: 'POST /console/safeguards/:id/:action',
      who: 'safeguard_reviewer',
      param: 'id',
      other: () => ({ action: 'reject' }),
      arb: notUuid,
      form: () => ({ reason: 'x' }),
      status: 400,
    },
    {
      route: 'POST /console/safeguards/:id/:action',
      who: 'safeguard_reviewer',
      param: 'action',
      other: () => ({ id: a.sgConsoleReject }),
      arb: hostileString.filter(
        (s) => s.length > 0 && !['verify', 'reject', 'suspend', '.', '..'].includes(s),
      ),
      form: () => ({ reason: 'x', validUntil: '2027-01-01' }),
    },
    {
      route: 'POST /console/admin/users/:id/:action',
      who: 'admin',
      param: 'id',
      other: () => ({ action: 'enable' }),
      arb: notUuid,
      form: () => ({}),
      status: 400,
    },
    {
      route: 'POST /console/admin/users/:id/:action',
      who: 'admin',
      param: 'action',
      other: () => ({ id: a.patchUser.id }),
      arb: hostileString.filter((s) => s.length > 0 && !['enable', 'disable', '.', '..'].includes(s)),
      form: () => ({}),
    },
    {
      route: 'POST /console/admin/organizations/:id/clients',
      who: 'admin',
      param: 'id',
      arb: notUuid,
      form: () => ({}),
      status: 400,
    },
    {
      route: 'POST /console/admin/clients/:clientId/revoke',
      who: 'admin',
      param: 'clientId',
      arb: fc.oneof(hostileString, notUuid).filter((s) => s.length > 0 && s !== '.' && s !== '..'),
      form: () => ({}),
    },
  ];

  it('refuses path parameters that are not ids (400) and ids that name nothing (404)', async () => {
    const props = PATH_TARGETS.map((p) => {
      const [method, template] = p.route.split(' ') as [string, string];
      const isConsole = template.startsWith('/console');
      return prop(
        `${p.route} :${p.param}`,
        isConsole ? 30 : 45,
        p.arb,
        (v: string) => {
          const session = isConsole ? a.consoleSessions[p.who as Caller] : undefined;
          return {
            method: method.toLowerCase() as Method,
            path: fill(template, { ...p.other?.(), [p.param]: wellFormed(v) }),
            who: p.who,
            ...(p.body ? { body: p.body() } : {}),
            ...(p.form
              ? {
                  contentType: 'application/x-www-form-urlencoded',
                  body: form({ _csrf: session?.csrf ?? '', ...p.form() }),
                }
              : {}),
          };
        },
        (res, call) => {
          const bad = refused(res, call);
          if (bad) return bad;
          // A segment that decodes to another path (e.g. "%2F..") may reach no route at all: 404 is a refusal too.
          if (p.status && res.status !== p.status && res.status !== 404)
            return `${call.method.toUpperCase()} ${call.path}: ${res.status}, expected ${p.status}`;
          return undefined;
        },
      );
    });
    await runGroup(props, true);
  });

  // ---- refused: console forms -----------------------------------------------------------------------

  const CONSOLE_COVERAGE: Record<string, true> = {
    'GET /console/login': true,
    'POST /console/login': true,
    'POST /console/mfa': true,
    'GET /console/queue': true,
    'GET /console/audit': true,
    'GET /console/audit/export': true,
    'GET /console/audit/reviews': true,
    'POST /console/audit/reviews': true,
    'GET /console/audit/report': true,
    'GET /console/audit/report/export': true,
    'GET /console/audit/anomalies': true,
    'POST /console/admin/organizations': true,
    'POST /console/admin/users': true,
    'GET /console/webhooks': true,
    'GET /console/statistics': true,
    'GET /console/statistics/export': true,
  };

  it('refuses invalid console forms (sign-in, TOTP, decisions, reviews, administration) and changes nothing', async () => {
    const csrf = (who: Caller) => a.consoleSessions[who]!.csrf;
    const post = (path: string, who: Who, fields: Record<string, string | string[]>): Call => ({
      method: 'post',
      path,
      who,
      contentType: 'application/x-www-form-urlencoded',
      body: form(fields),
    });
    const text = fc.oneof(hostileString, oversized(300));
    const notPlain = fc.oneof(plainTextBreaker, fc.constantFrom('', '   ', '\u3000'), oversized(2000));
    const props: Prop[] = [
      prop(
        'POST /console/login',
        60,
        fc.record({
          username: fc.oneof(text, fc.array(hostileString, { minLength: 2, maxLength: 2 })),
          password: text,
          totp: fc.oneof(fc.constant(''), hostileString),
        }),
        (f) => ({
          ...post('/console/login', 'anonymous', { _csrf: 'fuzz-csrf', ...f }),
          cookies: { [LOGIN_CSRF_COOKIE]: 'fuzz-csrf' },
        }),
        refused,
      ),
      prop(
        'POST /console/login (CSRF)',
        30,
        hostileString,
        (token) => ({
          ...post('/console/login', 'anonymous', {
            _csrf: token,
            username: a.loginUser.username,
            password: a.loginUser.password,
          }),
          cookies: { [LOGIN_CSRF_COOKIE]: 'fuzz-csrf' },
        }),
        refused,
      ),
      prop(
        'POST /console/mfa',
        50,
        hostileString.filter((c) => !/^\d{6}$/.test(c)),
        (code) => ({
          ...post('/console/mfa', 'anonymous', { _csrf: pendingConsole.csrf, code }),
          cookies: { [SESSION_COOKIE]: pendingConsole.cookie },
        }),
        refused,
      ),
      prop(
        'POST /console/requests/:id/decide',
        60,
        fc.record({ decision: hostileString.filter((d) => d !== 'approve' && d !== 'reject'), reason: text }),
        (f) =>
          post(`/console/requests/${a.reqConsoleDecide}/decide`, 'case_officer', {
            _csrf: csrf('case_officer'),
            ...f,
          }),
        refused,
      ),
      prop(
        'POST /console/requests/:id/decide (reason)',
        30,
        notPlain,
        (reason) =>
          post(`/console/requests/${a.reqConsoleDecide}/decide`, 'case_officer', {
            _csrf: csrf('case_officer'),
            decision: 'reject',
            reason,
          }),
        refused,
      ),
      prop(
        'POST /console/requests/:id/revoke (reason)',
        40,
        notPlain,
        (reason) =>
          post(`/console/requests/${a.reqConsoleRevoke}/revoke`, 'case_officer', {
            _csrf: csrf('case_officer'),
            reason,
          }),
        refused,
      ),
      prop(
        'POST /console/safeguards/:id/reject (reason)',
        40,
        notPlain,
        (reason) =>
          post(`/console/safeguards/${a.sgConsoleReject}/reject`, 'safeguard_reviewer', {
            _csrf: csrf('safeguard_reviewer'),
            reason,
          }),
        refused,
      ),
      prop(
        'POST /console/safeguards/:id/verify (validUntil)',
        30,
        hostileString.filter((v) => !/^\d{4}-\d{2}-\d{2}$/.test(v)),
        (validUntil) =>
          post(`/console/safeguards/${a.sgConsoleReject}/verify`, 'safeguard_reviewer', {
            _csrf: csrf('safeguard_reviewer'),
            validUntil,
          }),
        refused,
      ),
      prop(
        'POST /console/audit/reviews',
        60,
        fc.oneof(
          fc.record({ kind: hostileString.filter((k) => k !== 'period' && k !== 'finding'), from: fc.constant('2026-11-01'), to: fc.constant('2026-11-02'), conclusion: text }),
          fc.record({ kind: fc.constant('period'), from: hostileString.filter((v) => !/^\d{4}-\d{2}-\d{2}$/.test(v)), to: fc.constant('2026-11-02'), conclusion: fc.constant('x') }),
          fc.record({ kind: fc.constant('finding'), eventIds: hostileString.filter((v) => !/^[\d\s,、]*$/.test(v)), conclusion: fc.constant('x') }),
          fc.record({ kind: fc.constant('finding'), anomaly: hostileString.filter((v) => !/^[A-Za-z0-9_.:/-]{0,200}$/.test(v)), conclusion: fc.constant('x') }),
          notPlain.map((conclusion) => ({ kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion })),
        ),
        (f) => post('/console/audit/reviews', 'auditor', { _csrf: csrf('auditor'), ...f }),
        refused,
      ),
      prop(
        'POST /console/admin/organizations',
        50,
        fc.record({ kind: hostileString, name: text }),
        (f) => post('/console/admin/organizations', 'admin', { _csrf: csrf('admin'), ...f }),
        refused,
      ),
      prop(
        'POST /console/admin/users',
        50,
        fc.record({
          username: hostileString.filter((u) => !/^[a-zA-Z0-9._-]{3,64}$/.test(u)),
          displayName: text,
          organizationId: fc.constant(a.w.facility.id),
          roles: fc.constant('case_officer'),
          password: fc.constant('long-enough-password'),
        }),
        (f) => post('/console/admin/users', 'admin', { _csrf: csrf('admin'), ...f }),
        refused,
      ),
      prop(
        'console forms without the session CSRF token',
        50,
        fc.tuple(
          fc.constantFrom(
            '/console/admin/organizations',
            '/console/audit/verify',
            `/console/requests/${a.reqConsoleDecide}/decide`,
          ),
          hostileString,
        ),
        ([path, token]) => {
          const who: Caller = path.includes('admin')
            ? 'admin'
            : path.includes('audit')
              ? 'auditor'
              : 'case_officer';
          return post(path, who, {
            _csrf: token,
            decision: 'reject',
            reason: 'x',
            kind: 'ministry',
            name: 'x',
          });
        },
        (res, call) =>
          refused(res, call) ??
          // A NUL character is refused as malformed (400) before the CSRF check: also nothing changes.
          (res.status !== 403 && !(res.status === 400 && (call.body ?? '').includes('%00'))
            ? `${call.path}: ${res.status}, expected 403 (CSRF)`
            : undefined),
      ),
    ];
    await runGroup(props, true);
  });

  // ---- robust: tricky text that may be valid ----------------------------------------------------------

  describe('stays well-behaved with tricky text that may be valid', () => {
    const nfkc = (s: string) => s.normalize('NFKC').trim();
    const echo =
      (field: string, expected: (v: string) => string) => (res: Response, call: Call, v: string) => {
        const bad = robust(res, call);
        if (bad) return bad;
        // (an unpaired surrogate may come back as U+FFFD after the round trip through PostgreSQL)
        if (
          res.status < 300 &&
          res.body[field] !== expected(v) &&
          res.body[field] !== expected(wellFormed(v))
        )
          return `${call.path}: answered ${field} ${JSON.stringify(res.body[field])} for ${JSON.stringify(v)}`;
        return undefined;
      };
    const text = fc
      .oneof(hostileString, fc.constantFrom(...INJECTION, ...UNICODE_TRICKY))
      .filter((s) => s.trim().length > 0);

    it('free text in names is stored as sent (NFKC), or refused cleanly; injection strings stay text', async () => {
      let n = 0;
      await runGroup(
        [
          prop(
            'POST /api/v1/organizations name',
            120,
            text.filter((s) => s.length <= 200),
            (name) => ({
              method: 'post',
              path: `${API}/organizations`,
              who: 'admin',
              body: JSON.stringify({ kind: 'ministry', name }),
            }),
            echo('name', nfkc),
          ),
          prop(
            'PATCH /api/v1/users/:id displayName',
            80,
            text.filter((s) => s.length <= 100),
            (displayName) => ({
              method: 'patch',
              path: `${API}/users/${a.patchUser.id}`,
              who: 'admin',
              body: JSON.stringify({ displayName }),
            }),
            echo('displayName', nfkc),
          ),
          prop(
            'POST /api/v1/users displayName',
            40,
            text.filter((s) => s.length <= 100),
            (displayName) => ({
              method: 'post',
              path: `${API}/users`,
              who: 'admin',
              body: JSON.stringify({
                username: `fuzz_${Date.now().toString(36)}_${++n}`,
                displayName,
                organizationId: a.w.facility.id,
                roles: ['case_officer'],
                password: 'long-enough-password',
              }),
            }),
            echo('displayName', nfkc),
          ),
          prop(
            'POST /api/v1/organizations/:id/clients name',
            40,
            text.filter((s) => s.length <= 200),
            (name) => ({
              method: 'post',
              path: `${API}/organizations/${a.cityD.id}/clients`,
              who: 'admin',
              body: JSON.stringify({ name }),
            }),
            echo('name', (v) => v),
          ),
          prop(
            'POST /api/v1/requests justification',
            40,
            text.filter((s) => s.length <= 2000),
            (justification) => ({
              method: 'post',
              path: `${API}/requests`,
              who: 'municipality',
              headers: { 'Idempotency-Key': idemKey() },
              body: JSON.stringify(requestBody({ recordRef: a.record.recordRef }, { justification })),
            }),
            robust,
          ),
          prop(
            'POST /api/v1/release-records fullName',
            40,
            text.filter((s) => s.length <= 100),
            (fullName) => ({
              method: 'post',
              path: `${API}/release-records`,
              who: 'agency_client',
              body: JSON.stringify(recordBody({ fullName })),
            }),
            echo('fullName', nfkc),
          ),
        ],
        false,
      );
    });

    it('lookups by hostile text find nothing and never fail', async () => {
      const b64 = (s: string) => Buffer.from(s).toString('base64url');
      const crafted = fc
        .tuple(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
            fc.constantFrom(
              '',
              'x',
              '2026-13-45',
              '+275760-09-13T00:00:00.000Z',
              '-271821-04-20T00:00:00.000Z',
              '0',
            ),
            hostileString,
          ),
          fc.oneof(
            fc.uuid(),
            fc.constantFrom('', 'abc', '0', '-', 'f'.repeat(40), "' OR 1=1 --"),
            hostileString,
          ),
        )
        .map(([time, id]) => b64(`${wellFormed(time)}|${wellFormed(id)}`))
        .filter((c) => c.length <= 200);
      const digits = fc.oneof(
        fc.bigInt({ min: 0n, max: 9_999_999_999_999_999_999n }).map(String),
        fc.constantFrom('0', '9223372036854775807', '9223372036854775808', '9999999999999999999'),
      );
      await runGroup(
        [
          prop(
            'GET /api/v1/release-records externalRef',
            80,
            text.filter((s) => s.length <= 64),
            (externalRef) => ({
              method: 'get',
              path: `${API}/release-records`,
              query: `externalRef=${encodeURIComponent(wellFormed(externalRef))}`,
              who: 'case_officer',
            }),
            (res, call) =>
              robust(res, call) ??
              (res.status === 200 && res.body.items.length !== 0
                ? `${call.query} matched ${res.body.items.length} records`
                : undefined),
          ),
          ...['organizations', 'users', 'release-records', 'requests'].map((what) =>
            prop(
              `GET /api/v1/${what} crafted cursor`,
              50,
              crafted,
              (cursor) => ({
                method: 'get',
                path: `${API}/${what}`,
                query: `cursor=${cursor}`,
                who: (what === 'release-records'
                  ? 'case_officer'
                  : what === 'requests'
                    ? 'municipality'
                    : 'admin') as Who,
              }),
              robust,
            ),
          ),
          prop(
            'GET /api/v1/audit/events cursor digits',
            50,
            digits,
            (cursor) => ({
              method: 'get',
              path: `${API}/audit/events`,
              query: `cursor=${cursor}`,
              who: 'auditor',
            }),
            robust,
          ),
          prop(
            'GET /api/v1/audit/checkpoints cursor digits',
            50,
            digits,
            (cursor) => ({
              method: 'get',
              path: `${API}/audit/checkpoints`,
              query: `cursor=${cursor}`,
              who: 'auditor',
            }),
            robust,
          ),
          prop(
            'POST /api/v1/auth/login unknown user',
            40,
            text.filter((s) => s.length <= 64),
            (username) => ({
              method: 'post',
              path: `${API}/auth/login`,
              who: 'anonymous',
              body: JSON.stringify({ username, password: 'not-the-password' }),
            }),
            (res, call) =>
              robust(res, call) ??
              // A NUL character is malformed input (400) before it is a wrong sign-in (401).
              (res.status !== 401 && !(res.status === 400 && (call.body ?? '').includes('\\u0000'))
                ? `${call.path}: ${res.status}, expected 401`
                : undefined),
          ),
          prop(
            'POST /api/v1/auth/token unknown client',
            40,
            text.filter((s) => s.length <= 100),
            (client_id) => ({
              method: 'post',
              path: `${API}/auth/token`,
              who: 'anonymous',
              body: JSON.stringify({ grant_type: 'client_credentials', client_id, client_secret: 'x' }),
            }),
            (res, call) =>
              robust(res, call) ??
              (res.status !== 401 && !(res.status === 400 && (call.body ?? '').includes('\\u0000'))
                ? `${call.path}: ${res.status}, expected 401`
                : undefined),
          ),
        ],
        false,
      );
    });

    it('console pages with hostile filters answer a page, never an error', async () => {
      const q = (pairs: [string, string][]) =>
        pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(wellFormed(v))}`).join('&');
      const filterKey = fc.constantFrom(
        'action',
        'outcome',
        'actor',
        'actorName',
        'record',
        'from',
        'to',
        'cursor',
        'lang',
      );
      const filterValue = fc.oneof(
        hostileString,
        fc.constantFrom(
          '2026-13-45',
          '2026-02-30T00:00:00Z',
          '9999999999999999999',
          '0',
          '9223372036854775808',
        ),
      );
      await runGroup(
        [
          prop(
            'GET /console/queue',
            50,
            fc.record({ status: hostileString, purpose: hostileString, assigned: hostileString, sort: hostileString, overdue: hostileString }),
            (f) => ({
              method: 'get',
              path: '/console/queue',
              query: q(Object.entries(f)),
              who: 'case_officer',
            }),
            robust,
          ),
          prop(
            'GET /console/audit',
            40,
            fc.array(fc.tuple(filterKey, filterValue), { minLength: 1, maxLength: 3 }),
            (pairs) => ({ method: 'get', path: '/console/audit', query: q(pairs), who: 'auditor' }),
            robust,
          ),
          prop(
            'GET /console/audit/export',
            50,
            fc.array(fc.tuple(fc.oneof(filterKey, fc.constant('format')), filterValue), {
              minLength: 1,
              maxLength: 3,
            }),
            (pairs) => ({ method: 'get', path: '/console/audit/export', query: q(pairs), who: 'auditor' }),
            robust,
          ),
          ...['/console/audit/report', '/console/audit/report/export'].map((path) =>
            prop(
              `GET ${path}`,
              30,
              fc.record({ record: fc.oneof(hostileString, notUuid, fc.uuid()), e: hostileString }),
              (f) => ({ method: 'get', path, query: q(Object.entries(f)), who: 'auditor' }),
              robust,
            ),
          ),
          prop(
            'GET /console/audit/anomalies',
            30,
            fc.record({ from: fc.oneof(hostileString, filterValue), to: fc.oneof(hostileString, filterValue) }),
            (f) => ({ method: 'get', path: '/console/audit/anomalies', query: q(Object.entries(f)), who: 'auditor' }),
            robust,
          ),
          prop(
            'GET /console/audit/reviews',
            30,
            fc.record({ cursor: filterValue, lang: hostileString }),
            (f) => ({ method: 'get', path: '/console/audit/reviews', query: q(Object.entries(f)), who: 'auditor' }),
            robust,
          ),
          prop(
            'GET /console/webhooks',
            40,
            fc.record({ org: fc.oneof(hostileString, notUuid, fc.uuid()), lang: hostileString }),
            (f) => ({ method: 'get', path: '/console/webhooks', query: q(Object.entries(f)), who: 'admin' }),
            robust,
          ),
          prop(
            'GET /console/webhooks (supervisor)',
            20,
            fc.record({ org: fc.oneof(hostileString, notUuid, fc.uuid()) }),
            (f) => ({ method: 'get', path: '/console/webhooks', query: q(Object.entries(f)), who: 'supervisor' }),
            robust,
          ),
          prop(
            'GET /console/statistics',
            40,
            fc.array(fc.tuple(fc.constantFrom('from', 'to', 'groupBy', 'lang'), filterValue), { minLength: 1, maxLength: 3 }),
            (pairs) => ({ method: 'get', path: '/console/statistics', query: q(pairs), who: 'safeguard_reviewer' }),
            robust,
          ),
          prop(
            'GET /console/statistics/export',
            30,
            fc.array(fc.tuple(fc.constantFrom('from', 'to', 'groupBy'), filterValue), { minLength: 1, maxLength: 3 }),
            (pairs) => ({ method: 'get', path: '/console/statistics/export', query: q(pairs), who: 'auditor' }),
            robust,
          ),
          prop(
            'GET /console/login',
            40,
            fc.record({ e: hostileString, lang: hostileString }),
            (f) => ({ method: 'get', path: '/console/login', query: q(Object.entries(f)), who: 'anonymous' }),
            robust,
          ),
        ],
        false,
      );
    });
  });

  it('leaves Object.prototype untouched after every payload with __proto__, constructor and prototype keys', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoBefore);
    expect(Object.getOwnPropertyNames(outerObjectPrototype).sort()).toEqual(outerProtoBefore);
    expect(POLLUTION_MARKER in {}).toBe(false);
    expect(POLLUTION_MARKER in outerObjectPrototype).toBe(false);
  });

  it('generated at least 10 000 cases in this run', () => {
    expect(planned).toBeGreaterThanOrEqual(10_000);
  });
});
