import type { Response } from 'supertest';
import { AUTHZ_TABLE, Caller, CALLERS, Outcome } from './authz-table';
import { CALLS, CallSpec, fillPath, SESSION_ENDING, unknownIds } from './support/authz-calls';
import { DiscoveredRoute, discoverNestRoutes, expressRoutes } from './support/authz-routes';
import { SESSION_COOKIE } from './support/authz-console';
import { AuthzWorld, buildAuthzWorld } from './support/authz-world';
import { bearer, createTestApp, TestApp } from './support/test-app';

/**
 * Routes whose refusals are not audit events: `/api/docs/LICENSE` is a file of the bundled API
 * documentation UI that @nestjs/swagger answers 404 to everyone, a missing page rather than a
 * refused attempt on anything.
 */
const AUDIT_EXEMPT = ['GET /api/docs/LICENSE'];

/** Calls every route of the application as every kind of caller and checks test/authz-table.ts. */
describe('authorisation matrix', () => {
  let t: TestApp;
  let a: AuthzWorld;
  let nestRoutes: DiscoveredRoute[];
  let served: string[];
  let calls = 0;
  let existenceChecks = 0;

  beforeAll(async () => {
    t = await createTestApp();
    a = await buildAuthzWorld(t);
    nestRoutes = discoverNestRoutes(t.app);
    served = expressRoutes(t.app);
  }, 60_000);

  afterAll(async () => {
    const routes = Object.keys(AUTHZ_TABLE).length;
    console.log(
      `authz matrix: ${routes} routes (${nestRoutes?.length ?? 0} from the controllers, the rest served by the OpenAPI module) × ${CALLERS.length} callers = ${calls} calls checked, plus ${existenceChecks} not-yours-vs-missing comparisons`,
    );
    await t?.close();
  });

  describe('route table', () => {
    it('discovers the controllers’ routes through Nest metadata', () => {
      expect(nestRoutes.length).toBeGreaterThan(30);
      expect(nestRoutes.map((r) => r.key)).toEqual(
        expect.arrayContaining([
          'GET /api/v1/requests/:id',
          'GET /.well-known/jwks.json',
          'GET /health/live',
        ]),
      );
    });

    it('finds every Nest route served by Express at the discovered path (prefix and exclusions applied)', () => {
      const missing = nestRoutes.map((r) => r.key).filter((k) => !served.includes(k));
      expect(missing).toEqual([]);
    });

    it('has a row for every route the application serves', () => {
      const all = new Set([...nestRoutes.map((r) => r.key), ...served]);
      const withoutRow = [...all].filter((k) => !(k in AUTHZ_TABLE));
      expect(withoutRow).toEqual([]);
    });

    it('has no row for a route the application does not serve', () => {
      const all = new Set([...nestRoutes.map((r) => r.key), ...served]);
      const stale = Object.keys(AUTHZ_TABLE).filter((k) => !all.has(k));
      expect(stale).toEqual([]);
    });

    it('has a realistic call for every row', () => {
      expect(Object.keys(AUTHZ_TABLE).filter((k) => !CALLS[k])).toEqual([]);
    });
  });

  const isConsole = (route: string) => route.split(' ')[1]!.startsWith('/console');

  /** Sends one call with the caller's credential: a console session on /console for staff, else the bearer token. */
  async function send(
    route: string,
    spec: CallSpec,
    caller: Caller,
    params = spec.params,
  ): Promise<Response> {
    const space = route.indexOf(' ');
    const method = route.slice(0, space).toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    let req = t.http[method](fillPath(route.slice(space + 1), params));
    if (spec.query) req = req.query(spec.query);
    const session = isConsole(route) ? a.consoleSessions[caller] : undefined;
    const cookies: Record<string, string> = { ...spec.cookies };
    if (session) cookies[SESSION_COOKIE] = session.cookie;
    else if (caller !== 'anonymous') req = req.set(bearer(a.tokens[caller]));
    if (Object.keys(cookies).length)
      req = req.set(
        'Cookie',
        Object.entries(cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      );
    for (const [k, v] of Object.entries(spec.headers ?? {})) req = req.set(k, v);
    if (spec.form)
      return req.type('form').send({ ...(session ? { _csrf: session.csrf } : {}), ...spec.form });
    if (spec.raw) return req.set('Content-Type', spec.raw.contentType).send(spec.raw.text);
    if (spec.body !== undefined) return req.send(spec.body as object);
    return req;
  }

  /**
   * What an answer means. The API answers 401/403/404 with problem+json; the console sends a
   * signed-out caller to /console/login and may turn a refused form action into a redirect that
   * carries `e=forbidden` or `e=notfound`.
   */
  function outcomeOf(route: string, res: Response): Outcome | 'server-error' {
    if (res.status >= 500) return 'server-error';
    if (res.status === 401 || res.status === 403 || res.status === 404) return res.status;
    if (isConsole(route) && res.status >= 300 && res.status < 400) {
      const location = String(res.headers.location ?? '');
      const signedOut = ([] as string[])
        .concat(res.headers['set-cookie'] ?? [])
        .some((c) => c.startsWith(`${SESSION_COOKIE}=;`));
      if (/^\/console\/login(\?|$)/.test(location)) return signedOut ? 'allow' : 401;
      if (/[?&]e=forbidden(&|$)/.test(location)) return 403;
      if (/[?&]e=notfound(&|$)/.test(location)) return 404;
    }
    return 'allow';
  }

  function check(route: string, caller: Caller, expected: Outcome, res: Response): string[] {
    const got = outcomeOf(route, res);
    const where = `${route} as ${caller}: expected ${expected}, got ${got} (${res.status} ${res.body?.type ?? res.headers.location ?? ''})`;
    if (got !== expected) return [where];
    if (expected === 'allow' || isConsole(route)) return [];
    const out: string[] = [];
    if (!/^application\/problem\+json/.test(String(res.headers['content-type'])))
      out.push(`${where}: not problem+json`);
    if (res.body?.status !== expected) out.push(`${where}: problem status ${res.body?.status}`);
    if (expected === 401 && !/\/invalid-token$/.test(res.body?.type))
      out.push(`${where}: 401 type ${res.body?.type}`);
    // A 403 in the table is about the role or scope, not a business rule such as safeguards-not-active.
    if (expected === 403 && !/\/insufficient-permission$/.test(res.body?.type))
      out.push(`${where}: 403 type ${res.body?.type}`);
    return out;
  }

  /** What a 404 tells the caller, with the ids taken out of a console redirect. */
  function notFoundShape(res: Response, params: Record<string, string> = {}) {
    let location = res.headers.location as string | undefined;
    for (const [k, v] of Object.entries(params))
      location = location?.split(encodeURIComponent(v)).join(`:${k}`);
    return {
      status: res.status,
      type: res.body?.type,
      title: res.body?.title,
      detail: res.body?.detail,
      location,
    };
  }

  const rows = [
    ...Object.keys(AUTHZ_TABLE).filter((r) => !SESSION_ENDING.includes(r)),
    ...SESSION_ENDING.filter((r) => r in AUTHZ_TABLE),
  ];

  /** The request id of an answer: the `X-Request-Id` header, else the problem body's `requestId`. */
  function requestIdOf(res: Response): string | undefined {
    const header = res.headers['x-request-id'];
    return typeof header === 'string' && header ? header : typeof res.body?.requestId === 'string' ? res.body.requestId : undefined;
  }

  /**
   * Every refused call (401, 403, 404) leaves an audit event with outcome `denied` and the call's
   * request id; answers the refused calls that left none.
   */
  async function unaudited(refused: { where: string; requestId: string | undefined }[]): Promise<string[]> {
    if (!refused.length) return [];
    const ids = refused.map((r) => r.requestId).filter((id): id is string => !!id);
    const found = new Set(
      ((await t.db.query(`SELECT DISTINCT request_id FROM audit_events WHERE outcome = 'denied' AND request_id = ANY($1::text[])`, [ids])).rows as { request_id: string }[]).map(
        (r) => r.request_id,
      ),
    );
    return refused.filter((r) => !r.requestId || !found.has(r.requestId)).map((r) => `${r.where}: refused without a denied audit event (request id ${r.requestId ?? 'none'})`);
  }

  it.each(rows)('%s answers every caller as the table says', async (route) => {
    const fixture = CALLS[route];
    if (!fixture) throw new Error(`no call fixture for ${route}`);
    const mismatches: string[] = [];
    const refused: { where: string; requestId: string | undefined }[] = [];
    const noteRefusal = (res: Response, where: string) => {
      const got = outcomeOf(route, res);
      if (got === 401 || got === 403 || got === 404) refused.push({ where: `${where} (${got})`, requestId: requestIdOf(res) });
    };
    for (const caller of CALLERS) {
      const expected = AUTHZ_TABLE[route]![caller];
      const spec = await fixture(a, caller, t);
      const res = await send(route, spec, caller);
      calls += 1;
      mismatches.push(...check(route, caller, expected, res));
      if (!AUDIT_EXEMPT.includes(route)) noteRefusal(res, `${route} as ${caller}`);
      // Not yours must look exactly like does not exist: same status, type, title and detail.
      if (expected === 404 && outcomeOf(route, res) === 404 && spec.params) {
        const params = unknownIds(spec.params);
        const missing = await send(route, spec, caller, params);
        existenceChecks += 1;
        noteRefusal(missing, `${route} as ${caller} (unknown id)`);
        const [mine, none] = [
          JSON.stringify(notFoundShape(res, spec.params)),
          JSON.stringify(notFoundShape(missing, params)),
        ];
        if (mine !== none)
          mismatches.push(`${route} as ${caller}: "not yours" ${mine} differs from "missing" ${none}`);
      }
    }
    mismatches.push(...(await unaudited(refused)));
    expect(mismatches).toEqual([]);
  });

  it('would notice a refused call without its audit event', async () => {
    const res = await t.http.get('/api/v1/requests').set('X-Request-Id', 'matrix-probe-without-audit');
    expect(res.status).toBe(401);
    expect(await unaudited([{ where: 'probe', requestId: 'matrix-probe-without-audit' }])).toEqual([]);
    expect(await unaudited([{ where: 'probe', requestId: `never-sent-${Date.now()}` }])).toHaveLength(1);
    expect(await unaudited([{ where: 'probe', requestId: undefined }])).toHaveLength(1);
  });

  it('leaves every staff session ended after the sign-outs (console session and API tokens)', async () => {
    const alive: string[] = [];
    for (const caller of CALLERS) {
      const session = a.consoleSessions[caller];
      if (!session || caller === 'anonymous') continue;
      const page = await t.http.get('/console').set('Cookie', `${SESSION_COOKIE}=${session.cookie}`);
      if (page.headers.location !== '/console/login')
        alive.push(`${caller}: console ${page.status} ${page.headers.location}`);
      const api = await t.http.get(`/api/v1/safeguards/current`).set(bearer(a.tokens[caller]));
      if (api.status !== 401) alive.push(`${caller}: API ${api.status}`);
    }
    expect(alive).toEqual([]);
  });
});
