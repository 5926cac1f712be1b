/*
 * The principal cache: a checked token is not checked again for a while, but any change of the
 * principal (made here, by another instance or straight in the database) ends it within moments,
 * and without the listening connection nothing is reused at all.
 */
import { DataSource } from 'typeorm';
import type { Actor } from '../src/auth/actor';
import { PrincipalCache } from '../src/auth/principal-cache';
import { clientToken, createClient, createOrg, createStaff } from './support/factories';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` is true or the time is up; answers how long it took (ms) or -1. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < ms) {
    if (await check()) return Date.now() - started;
    await sleep(25);
  }
  return -1;
}

describe('principal cache', () => {
  let a: TestApp;
  let b: TestApp;
  let admin: string;
  let orgId: string;
  let facilityId: string;

  const listAs = (t: TestApp, token: string) => t.http.get(`${API}/requests`).set(bearer(token));
  const listeners = async (t: TestApp) =>
    Number((await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'oie-principals' AND datname = current_database()`)).rows[0].n);

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp({}, { shareWith: a });
    admin = (await signIn(a, ADMIN.username, ADMIN.password)).token;
    orgId = (await createOrg(a, admin, { kind: 'municipality', name: '堺市', localGovernmentCode: '271403' })).id;
    facilityId = (await createOrg(a, admin, { kind: 'correctional_facility', name: '大阪刑務所' })).id;
    // Each instance holds one listening connection.
    expect(await within(5_000, async () => (await listeners(a)) === 2)).toBeGreaterThanOrEqual(0);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('reuses a checked principal: a change the triggers do not announce goes unseen while cached', async () => {
    const client = await createClient(a, admin, orgId);
    const token = await clientToken(a, client);
    await listAs(a, token).expect(200); // checked and kept
    // Behind the service's back and with the announcing trigger off, the client is revoked.
    await a.db.query('ALTER TABLE api_clients DISABLE TRIGGER api_clients_principal_changed');
    try {
      await a.db.query('UPDATE api_clients SET revoked_at = now() WHERE client_id = $1', [client.clientId]);
      await listAs(a, token).expect(200); // served from memory: the cache is really used
    } finally {
      await a.db.query('ALTER TABLE api_clients ENABLE TRIGGER api_clients_principal_changed');
    }
    // Any announced change drops every entry; the revocation is then seen.
    await a.db.query(`UPDATE organizations SET kind = kind WHERE id = $1`, [orgId]); // no real change: no notification
    await listAs(a, token).expect(200);
    const other = await createClient(a, admin, orgId);
    await a.db.query('UPDATE api_clients SET scopes = $2 WHERE client_id = $1', [other.clientId, ['requests:write']]);
    expect(await within(2_000, async () => (await listAs(a, token)).status === 401)).toBeGreaterThanOrEqual(0);
  });

  it('a revocation through one instance ends the token on the other within moments', async () => {
    const client = await createClient(a, admin, orgId);
    const token = await clientToken(a, client);
    await listAs(a, token).expect(200);
    await listAs(b, token).expect(200); // both instances hold it now
    await a.http.delete(`${API}/clients/${client.clientId}`).set(bearer(admin)).expect(204);
    // On the instance that made the change: at once, no waiting for the notification.
    await listAs(a, token).expect(401);
    const tookMs = await within(2_000, async () => (await listAs(b, token)).status === 401);
    expect(tookMs).toBeGreaterThanOrEqual(0);
  });

  it('a user disabled or signed out straight in the database is refused within moments', async () => {
    const officer = await createStaff(a, admin, facilityId, ['case_officer']);
    await listAs(b, officer.token).expect(200);
    await a.db.query('UPDATE users SET disabled = true WHERE id = $1', [officer.id]);
    expect(await within(2_000, async () => (await listAs(b, officer.token)).status === 401)).toBeGreaterThanOrEqual(0);

    const second = await createStaff(a, admin, facilityId, ['case_officer']);
    await listAs(b, second.token).expect(200);
    await a.http.post(`${API}/auth/logout`).set(bearer(second.token)).expect(204);
    await listAs(a, second.token).expect(401);
    expect(await within(2_000, async () => (await listAs(b, second.token)).status === 401)).toBeGreaterThanOrEqual(0);
  });

  it('without its listening connection an instance reuses nothing, and listens again by itself', async () => {
    const client = await createClient(a, admin, orgId);
    const token = await clientToken(a, client);
    await listAs(b, token).expect(200);
    await a.db.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'oie-principals' AND datname = current_database()`);
    expect(await within(2_000, async () => (await listeners(a)) === 0)).toBeGreaterThanOrEqual(0);
    await a.db.query('ALTER TABLE api_clients DISABLE TRIGGER api_clients_principal_changed');
    try {
      await a.db.query('UPDATE api_clients SET revoked_at = now() WHERE client_id = $1', [client.clientId]);
      // No notification can come, yet the revocation is seen: nothing was reused while deaf.
      await listAs(b, token).expect(401);
    } finally {
      await a.db.query('ALTER TABLE api_clients ENABLE TRIGGER api_clients_principal_changed');
    }
    expect(await within(5_000, async () => (await listeners(a)) === 2)).toBeGreaterThanOrEqual(0);
  });
});

describe('principal cache turned off', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('PRINCIPAL_CACHE_SECONDS=0 checks every call against the database and opens no listening connection', async () => {
    t = await createTestApp({ PRINCIPAL_CACHE_SECONDS: '0' });
    const admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    const org = await createOrg(t, admin, { kind: 'municipality', name: '豊中市', localGovernmentCode: '272035' });
    const client = await createClient(t, admin, org.id);
    const token = await clientToken(t, client);
    await t.http.get(`${API}/requests`).set(bearer(token)).expect(200);
    await t.db.query('ALTER TABLE api_clients DISABLE TRIGGER api_clients_principal_changed');
    try {
      await t.db.query('UPDATE api_clients SET revoked_at = now() WHERE client_id = $1', [client.clientId]);
      await t.http.get(`${API}/requests`).set(bearer(token)).expect(401);
    } finally {
      await t.db.query('ALTER TABLE api_clients ENABLE TRIGGER api_clients_principal_changed');
    }
    const n = (await t.db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'oie-principals' AND datname = current_database()`)).rows[0].n;
    expect(n).toBe(0);
  });
});

describe('principal cache liveness', () => {
  let t: TestApp;
  afterAll(() => t.close());

  it('is on only while its own heartbeats come back through the listener, and forgets everything after a silence', async () => {
    t = await createTestApp({ PRINCIPAL_CACHE_SECONDS: '0' }); // the app's own cache stays out of the way
    const real = t.app.get(DataSource);
    // Heartbeats leave through this data source; switching it off stands for a listener that no
    // longer hears anything (a dead connection, a pooler that drops notifications).
    let sending = true;
    const ds = { query: (sql: string, params: unknown[]) => (sending ? real.query(sql, params) : Promise.resolve([])) } as unknown as DataSource;
    const cache = new PrincipalCache({ ...t.config, jwt: { ...t.config.jwt, principalCacheSeconds: 30 } }, ds);
    const actor: Actor = { type: 'client', id: 'oie_test', orgId: '00000000-0000-4000-8000-000000000001', orgKind: 'municipality', roles: [], scopes: ['requests:write'], mfaPending: false, jti: 'j' };
    const exp = Math.floor(Date.now() / 1000) + 600;
    await cache.onApplicationBootstrap();
    try {
      expect(await within(3_000, async () => cache.active)).toBeGreaterThanOrEqual(0);
      cache.set('token-a', actor, exp, cache.mark());
      expect(cache.get('token-a')).toMatchObject({ id: 'oie_test' });
      expect(Object.isFrozen(cache.get('token-a')!.scopes)).toBe(true);

      sending = false;
      expect(await within(5_000, async () => !cache.active)).toBeGreaterThanOrEqual(0);
      expect(cache.get('token-a')).toBeUndefined();

      sending = true;
      expect(await within(3_000, async () => cache.active)).toBeGreaterThanOrEqual(0);
      // Changes may have gone unheard during the silence: nothing from before it is used again.
      expect(cache.get('token-a')).toBeUndefined();
    } finally {
      await cache.onApplicationShutdown();
    }
  });
});
