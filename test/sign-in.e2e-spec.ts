import { ExpiryService } from '../src/scheduler/expiry.service';
import { createOrg, createStaff } from './support/factories';
import { ADMIN, API, createTestApp, signIn, TestApp, totpFor } from './support/test-app';

/**
 * Staff sign-in that cannot be used against staff: failures count per (account, source address)
 * and per source address, so an attacker at one address never stops the officer signing in from
 * another; and every failure answers the same, so a password is never confirmed.
 */
describe('staff sign-in throttling and answers', () => {
  let t: TestApp;
  let admin: string;
  let facility: { id: string };
  const from = (ip: string) => ({ 'X-Forwarded-For': ip });

  beforeAll(async () => {
    // Sources are told apart by X-Forwarded-For behind a trusted proxy; the route limit is out of the way.
    t = await createTestApp({ TRUST_PROXY: 'true', RATE_LIMIT_AUTH_PER_MINUTE: '1000', LOGIN_MAX_FAILURES: '3' });
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    facility = await createOrg(t, admin, { kind: 'correctional_facility', name: '府中刑務所' });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('pauses the attacker’s address for that account, while the officer still signs in from another address', async () => {
    const staff = await createStaff(t, admin, facility.id, ['case_officer']);
    for (let i = 0; i < 3; i++) {
      const res = await t.http.post(`${API}/auth/login`).set(from('203.0.113.7')).send({ username: staff.username, password: 'wrong-password!' });
      expect(res.status).toBe(401);
    }
    // The attacker's address is paused, even with the right password: 429 with Retry-After.
    const paused = await t.http.post(`${API}/auth/login`).set(from('203.0.113.7')).send({ username: staff.username, password: 'wrong-password!' });
    expect(paused.status).toBe(429);
    expect(paused.body.type).toMatch(/\/sign-in-throttled$/);
    expect(Number(paused.headers['retry-after'])).toBeGreaterThan(0);
    // The officer, elsewhere, is not affected.
    const officer = await t.http
      .post(`${API}/auth/login`)
      .set(from('198.51.100.20'))
      .send({ username: staff.username, password: staff.password, totp: totpFor(staff.secret, 1) });
    expect(officer.status).toBe(200);
    expect(officer.body.access_token).toEqual(expect.any(String));
    const audited = await t.db.query(`SELECT reason_code FROM audit_events WHERE action = 'auth.login' AND resource_id = $1 AND outcome = 'denied' ORDER BY id`, [staff.id]);
    expect(audited.rows.map((r: { reason_code: string }) => r.reason_code)).toEqual(['bad-password', 'bad-password', 'bad-password', 'throttled']);
  });

  it('pauses an address that fails across many accounts (the per-source limit)', async () => {
    // LOGIN_MAX_FAILURES 3 → the address pauses after 30 failures in all, whichever accounts.
    for (let i = 0; i < 30; i++) {
      const res = await t.http.post(`${API}/auth/login`).set(from('203.0.113.99')).send({ username: `spray${i}`, password: 'Winter2026!' });
      expect(res.status).toBe(401);
    }
    const next = await t.http.post(`${API}/auth/login`).set(from('203.0.113.99')).send({ username: 'spray-new', password: 'Winter2026!' });
    expect(next.status).toBe(429);
    const elsewhere = await t.http.post(`${API}/auth/login`).set(from('203.0.113.100')).send({ username: 'spray-new', password: 'Winter2026!' });
    expect(elsewhere.status).toBe(401);
  });

  it('answers a wrong password, a missing code and a wrong code the same way', async () => {
    const staff = await createStaff(t, admin, facility.id, ['case_officer']);
    const wrongCode = totpFor(staff.secret, 1) === '123456' ? '654321' : '123456';
    const answers = [];
    for (const [i, body] of [
      { username: staff.username, password: 'wrong-password!' },
      { username: staff.username, password: staff.password },
      { username: staff.username, password: staff.password, totp: wrongCode },
      { username: 'nobody-at-all', password: staff.password },
    ].entries()) {
      const res = await t.http.post(`${API}/auth/login`).set(from(`192.0.2.${i + 1}`)).send(body);
      answers.push({ status: res.status, type: res.body.type, title: res.body.title, detail: res.body.detail, www: res.headers['www-authenticate'] });
    }
    expect(answers[0]).toEqual({ status: 401, type: expect.stringMatching(/\/sign-in-failed$/), title: expect.any(String), detail: expect.any(String), www: expect.any(String) });
    for (const a of answers.slice(1)) expect(a).toEqual(answers[0]);
  });

  it('gives the enrolment-only token on a correct password only to users without TOTP', async () => {
    const username = `fresh_${Date.now().toString(36)}`;
    const password = 'a-long-enough-password';
    await t.http.post(`${API}/users`).set('Authorization', `Bearer ${admin}`).send({ username, displayName: '新任 花子', organizationId: facility.id, roles: ['case_officer'], password }).expect(201);
    const wrong = await t.http.post(`${API}/auth/login`).set(from('192.0.2.50')).send({ username, password: 'not-the-password' });
    expect(wrong.status).toBe(401);
    const right = await t.http.post(`${API}/auth/login`).set(from('192.0.2.50')).send({ username, password });
    expect(right.status).toBe(200);
    expect(right.body.mfaEnrollmentRequired).toBe(true);
  });

  it('spends an argon2 verification on an unknown user as on a known one', async () => {
    const staff = await createStaff(t, admin, facility.id, ['case_officer']);
    const time = async (username: string, ip: string) => {
      const start = process.hrtime.bigint();
      await t.http.post(`${API}/auth/login`).set(from(ip)).send({ username, password: 'wrong-password!' });
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 4; i++) {
      known.push(await time(staff.username, `192.0.2.${100 + i}`));
      unknown.push(await time(`ghost_${i}`, `192.0.2.${110 + i}`));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    // Both pay for argon2id (19 MiB, 2 passes): neither is a fraction of the other.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    expect(median(known)).toBeGreaterThan(median(unknown) * 0.4);
  });

  it('lifts the pauses of an account, from every address, when an administrator sets a new password', async () => {
    const staff = await createStaff(t, admin, facility.id, ['case_officer']);
    for (const ip of ['203.0.113.21', '203.0.113.22'])
      for (let i = 0; i < 3; i++) await t.http.post(`${API}/auth/login`).set(from(ip)).send({ username: staff.username, password: 'wrong-password!' });
    const paused = await t.http.post(`${API}/auth/login`).set(from('203.0.113.21')).send({ username: staff.username, password: staff.password, totp: totpFor(staff.secret, 1) });
    expect(paused.status).toBe(429);
    // Another account's pause from the same address is not the administrator's business here.
    const other = await createStaff(t, admin, facility.id, ['case_officer']);
    for (let i = 0; i < 3; i++) await t.http.post(`${API}/auth/login`).set(from('203.0.113.21')).send({ username: other.username, password: 'wrong-password!' });

    const reset = await t.http.patch(`${API}/users/${staff.id}`).auth(admin, { type: 'bearer' }).send({ password: 'a-brand-new-password-2026' });
    expect(reset.status).toBe(200);
    const keys = (await t.db.query(`SELECT key FROM sign_in_throttle WHERE key LIKE $1 OR key LIKE $2`, [`u:${staff.id}|%`, `u:${other.id}|%`])).rows.map((r: { key: string }) => r.key);
    expect(keys).toEqual([`u:${other.id}|s:203.0.113.21`]);
    const back = await t.http
      .post(`${API}/auth/login`)
      .set(from('203.0.113.21'))
      .send({ username: staff.username, password: 'a-brand-new-password-2026', totp: totpFor(staff.secret, 1) });
    expect(back.status).toBe(200);
  });

  it('forgets counts that can no longer pause anything, and keeps those that can (scheduled sweep)', async () => {
    await t.db.query(
      `INSERT INTO sign_in_throttle (key, failures, blocked_until, last_failure_at) VALUES
         ('s:test-stale', 3, now() - interval '2 days', now() - interval '2 days'),
         ('s:test-recent', 3, NULL, now() - interval '1 hour'),
         ('s:test-paused', 60, now() + interval '1 hour', now() - interval '2 days')`,
    );
    await t.app.get(ExpiryService).sweep();
    const left = (await t.db.query(`SELECT key FROM sign_in_throttle WHERE key LIKE 's:test-%' ORDER BY key`)).rows.map((r: { key: string }) => r.key);
    expect(left).toEqual(['s:test-paused', 's:test-recent']);
  });

  it('answers the console sign-in with one message for every failure', async () => {
    const staff = await createStaff(t, admin, facility.id, ['case_officer']);
    const locations = [];
    for (const form of [
      { username: staff.username, password: 'wrong-password!' },
      { username: staff.username, password: staff.password },
    ]) {
      const page = await t.http.get('/console/login');
      const cookie = ([] as string[]).concat(page.headers['set-cookie'] ?? []).find((c) => c.startsWith('oie_login_csrf='))!.split(';')[0]!;
      const csrf = cookie.split('=')[1]!;
      const res = await t.http.post('/console/login').set(from('192.0.2.200')).set('Cookie', cookie).type('form').send({ _csrf: csrf, ...form });
      locations.push(res.headers.location);
    }
    expect(locations).toEqual(['/console/login?e=failed', '/console/login?e=failed']);
  });
});
