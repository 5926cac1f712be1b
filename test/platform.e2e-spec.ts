import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { clientToken, createClient, createOrg, createStaff } from './support/factories';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp, totpFor } from './support/test-app';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('platform', () => {
  let t: TestApp;
  let admin: string;
  let municipality: { id: string };
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    t = await createTestApp();
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    municipality = await createOrg(t, admin, { kind: 'municipality', name: '大阪市', localGovernmentCode: '271004' });
    client = await createClient(t, admin, municipality.id);
  });
  afterAll(() => t.close());

  const serviceKey = () => createPrivateKey(readFileSync(join(t.config.dataDir, 'keys', 'signing-es256.pem'), 'utf8'));
  const kid = async () => (await t.http.get('/.well-known/jwks.json')).body.keys[0].kid as string;
  const claims = (over: Record<string, unknown> = {}) => ({ org: municipality.id, typ: 'client', scope: 'requests:write', ...over });
  const listRequestsAs = (token: string) => t.http.get(`${API}/organizations`).set(bearer(token));

  describe('operations', () => {
    it('answers ready when the database is reachable and migrated', async () => {
      const res = await t.http.get('/health/ready').expect(200);
      expect(res.body.details.migrations.status).toBe('up');
      await t.http.get('/health/live').expect(200);
    });

    it('echoes a given request id and makes one otherwise', async () => {
      const given = await t.http.get('/health/live').set('X-Request-Id', 'abc-123').expect(200);
      expect(given.headers['x-request-id']).toBe('abc-123');
      const made = await t.http.get('/health/live').set('X-Request-Id', 'bad id with spaces');
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('answers an unknown route with problem details', async () => {
      const res = await t.http.get(`${API}/no-such-thing`).expect(404);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 404, title: 'Not Found', instance: `${API}/no-such-thing` });
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
    });

    it('serves the OpenAPI document with every route', async () => {
      const res = await t.http.get('/api/docs-json').expect(200);
      expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/api/v1/auth/token', '/api/v1/organizations', '/api/v1/users/{id}', '/.well-known/jwks.json']));
      expect(res.body.paths['/api/v1/organizations'].post.description).toContain('admin');
      await t.http.get('/api/docs').expect(200);
    });

    it('refuses a too large body with 413 and a wrong media type with 415', async () => {
      const big = await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'ministry', name: 'x'.repeat(300_000) });
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toMatch(/problem\+json/);
      const xml = await t.http.post(`${API}/organizations`).set(bearer(admin)).set('Content-Type', 'application/xml').send('<a/>');
      expect(xml.status).toBe(415);
      const broken = await t.http.post(`${API}/organizations`).set(bearer(admin)).set('Content-Type', 'application/json').send('{"kind":');
      expect(broken.status).toBe(400);
    });
  });

  describe('client credentials', () => {
    it('issues a short-lived ES256 token with the contract claims, verifiable with the JWKS', async () => {
      const res = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).expect(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'safeguards:write requests:write disclosures:read webhooks:write' });
      expect(res.body.expires_in).toBeLessThanOrEqual(3600);
      const jwks = createLocalJWKSet((await t.http.get('/.well-known/jwks.json')).body);
      const { payload, protectedHeader } = await jwtVerify(res.body.access_token, jwks, { issuer: t.config.jwt.issuer, audience: t.config.jwt.audience });
      expect(protectedHeader.alg).toBe('ES256');
      expect(payload).toMatchObject({ sub: client.clientId, org: municipality.id });
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.exp! - payload.iat!).toBe(res.body.expires_in);
    });

    it('accepts JSON as well as a form', async () => {
      await t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).expect(200);
    });

    it('refuses a wrong secret with 401 problem details and audits it', async () => {
      const res = await t.http.post(`${API}/auth/token`).type('form').send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'wrong' });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/); // an OAuth error (RFC 6749 §5.2)
      expect(res.body).toMatchObject({ error: 'invalid_client', title: 'Unauthorized' });
      expect(res.body.type).toMatch(/invalid-client$/);
      const audit = await t.db.query(`SELECT * FROM audit_events WHERE action = 'auth.token' AND outcome = 'denied' AND request_id = $1`, [res.body.requestId]);
      expect(audit.rowCount).toBe(1);
    });

    it('stores the secret only as an argon2id hash', async () => {
      const row = await t.db.query('SELECT secret_hash FROM api_clients WHERE client_id = $1', [client.clientId]);
      expect(row.rows[0].secret_hash).toMatch(/^\$argon2id\$/);
      expect(row.rows[0].secret_hash).not.toContain(client.clientSecret);
    });

    it('refuses a revoked client at once, for new and already issued tokens', async () => {
      const c = await createClient(t, admin, municipality.id);
      const token = await clientToken(t, c);
      await t.http.get(`${API}/users`).set(bearer(token)).expect(403);
      await t.http.delete(`${API}/clients/${c.clientId}`).set(bearer(admin)).expect(204);
      const again = await t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
      expect(again.status).toBe(401);
      const old = await t.http.get(`${API}/users`).set(bearer(token));
      expect(old.status).toBe(401);
    });

    it('refuses a scope the client does not hold with 400 invalid_scope, and audits it', async () => {
      const res = await t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'records:write' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_scope', status: 400, error_description: expect.any(String) });
      expect(res.body.type).toMatch(/invalid-scope$/);
      const audit = await t.db.query(`SELECT reason_code FROM audit_events WHERE action = 'auth.token' AND outcome = 'denied' AND request_id = $1`, [res.body.requestId]);
      expect(audit.rows).toEqual([{ reason_code: 'invalid-scope' }]);
    });
  });

  describe('token attacks', () => {
    it('refuses no token with 401', async () => {
      const res = await t.http.get(`${API}/organizations`).expect(401);
      expect(res.body.type).toMatch(/invalid-token$/);
    });

    it('refuses an expired token', async () => {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: await kid() }).setIssuer(t.config.jwt.issuer).setAudience(t.config.jwt.audience).setSubject(client.clientId).setJti('x').setIssuedAt(Math.floor(Date.now() / 1000) - 700).setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(serviceKey());
      expect((await listRequestsAs(token)).status).toBe(401);
    });

    it('refuses a wrong audience or issuer even when signed with the service key', async () => {
      for (const [iss, aud] of [[t.config.jwt.issuer, 'urn:other'], ['urn:evil', t.config.jwt.audience]]) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: await kid() }).setIssuer(iss).setAudience(aud).setSubject(client.clientId).setJti('x').setIssuedAt().setExpirationTime('5m').sign(serviceKey());
        expect((await listRequestsAs(token)).status).toBe(401);
      }
    });

    it('refuses a token signed by another key, even with our kid', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: await kid() }).setIssuer(t.config.jwt.issuer).setAudience(t.config.jwt.audience).setSubject(client.clientId).setJti('x').setIssuedAt().setExpirationTime('5m').sign(privateKey);
      expect((await listRequestsAs(token)).status).toBe(401);
    });

    it('refuses alg none', async () => {
      const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), sub: client.clientId, iss: t.config.jwt.issuer, aud: t.config.jwt.audience, exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), jti: 'x' })}.`;
      expect((await listRequestsAs(token)).status).toBe(401);
    });

    it('refuses an HS256 token made with the public key as the secret', async () => {
      const jwk = (await t.http.get('/.well-known/jwks.json')).body.keys[0];
      const publicPem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
      const head = b64({ alg: 'HS256', typ: 'JWT', kid: jwk.kid });
      const body = b64({ ...claims(), sub: client.clientId, iss: t.config.jwt.issuer, aud: t.config.jwt.audience, exp: Math.floor(Date.now() / 1000) + 300, iat: Math.floor(Date.now() / 1000), jti: 'x' });
      const sig = createHmac('sha256', publicPem).update(`${head}.${body}`).digest('base64url');
      expect((await listRequestsAs(`${head}.${body}.${sig}`)).status).toBe(401);
    });

    it('refuses an unknown kid, and a kid carrying a path or SQL', async () => {
      for (const k of ['nope', '../../keys/signing-es256.pem', "' OR 1=1 --"]) {
        const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: k }).setIssuer(t.config.jwt.issuer).setAudience(t.config.jwt.audience).setSubject(client.clientId).setJti('x').setIssuedAt().setExpirationTime('5m').sign(serviceKey());
        expect((await listRequestsAs(token)).status).toBe(401);
      }
    });
  });

  describe('staff sign-in', () => {
    let facility: { id: string };
    beforeAll(async () => {
      facility = await createOrg(t, admin, { kind: 'correctional_facility', name: '大阪刑務所' });
    });

    it('enrols TOTP on first sign-in; the pending token reaches nothing else', async () => {
      const username = 'officer.enrol';
      const password = 'a-long-enough-password';
      await t.http.post(`${API}/users`).set(bearer(admin)).send({ username, displayName: '担当 太郎', organizationId: facility.id, roles: ['case_officer'], password }).expect(201);
      const login = await t.http.post(`${API}/auth/login`).send({ username, password }).expect(200);
      expect(login.body.mfaEnrollmentRequired).toBe(true);
      const pending = login.body.access_token;
      const blocked = await t.http.get(`${API}/users`).set(bearer(pending));
      expect(blocked.status).toBe(403);
      const enroll = await t.http.post(`${API}/auth/mfa/enroll`).set(bearer(pending)).expect(200);
      expect(enroll.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
      const secret = new URL(enroll.body.otpauthUri).searchParams.get('secret')!;
      await t.http.post(`${API}/auth/mfa/verify`).set(bearer(pending)).send({ code: '000000' === totpFor(secret) ? '111111' : '000000' }).expect(401);
      const verified = await t.http.post(`${API}/auth/mfa/verify`).set(bearer(pending)).send({ code: totpFor(secret) }).expect(200);
      expect(verified.body.access_token).toEqual(expect.any(String));
      const stored = await t.db.query('SELECT totp_secret, password_hash FROM users WHERE username = $1', [username]);
      expect(stored.rows[0].totp_secret).not.toContain(secret);
      expect(stored.rows[0].password_hash).toMatch(/^\$argon2id\$/);

      // From now on the code is required, a wrong one is refused, and a used one is not accepted twice.
      await t.http.post(`${API}/auth/login`).send({ username, password }).expect(401);
      const wrongCode = totpFor(secret, 1) === '123456' ? '654321' : '123456';
      await t.http.post(`${API}/auth/login`).send({ username, password, totp: wrongCode }).expect(401);
      const code = totpFor(secret, 1);
      await t.http.post(`${API}/auth/login`).send({ username, password, totp: code }).expect(200);
      await t.http.post(`${API}/auth/login`).send({ username, password, totp: code }).expect(401);
    });

    it('says nothing about the username: an unknown user gets the answer of a wrong password', async () => {
      const staff = await createStaff(t, admin, facility.id, ['case_officer']);
      const wrong = await t.http.post(`${API}/auth/login`).send({ username: staff.username, password: 'wrong-password!' });
      expect(wrong.status).toBe(401);
      const unknown = await t.http.post(`${API}/auth/login`).send({ username: 'nobody-here', password: 'whatever-password' });
      expect({ status: unknown.status, type: unknown.body.type, detail: unknown.body.detail }).toEqual({ status: 401, type: wrong.body.type, detail: wrong.body.detail });
    });

    it('ends every token at sign-out', async () => {
      const staff = await createStaff(t, admin, facility.id, ['supervisor']);
      await t.http.post(`${API}/auth/logout`).set(bearer(staff.token)).expect(204);
      await t.http.post(`${API}/auth/logout`).set(bearer(staff.token)).expect(401);
    });

    it('refuses a disabled user’s token at once', async () => {
      const staff = await createStaff(t, admin, facility.id, ['case_officer']);
      await t.http.patch(`${API}/users/${staff.id}`).set(bearer(admin)).send({ disabled: true }).expect(200);
      await t.http.post(`${API}/auth/logout`).set(bearer(staff.token)).expect(401);
    });
  });

  describe('administration', () => {
    it('refuses a route to a role that lacks it (403) and audits the refusal', async () => {
      const facility = await createOrg(t, admin, { kind: 'probation_office', name: '大阪保護観察所' });
      const officer = await createStaff(t, admin, facility.id, ['case_officer']);
      const res = await t.http.post(`${API}/organizations`).set(bearer(officer.token)).send({ kind: 'ministry', name: 'x' });
      expect(res.status).toBe(403);
      expect(res.body.type).toMatch(/insufficient-permission$/);
      const audit = await t.db.query(`SELECT actor_id, outcome, reason_code FROM audit_events WHERE request_id = $1`, [res.body.requestId]);
      expect(audit.rows).toEqual([{ actor_id: officer.id, outcome: 'denied', reason_code: 'insufficient-permission' }]);
    });

    it('verifies the local government code check digit (422)', async () => {
      const res = await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'municipality', name: '福岡市', localGovernmentCode: '401308' });
      expect(res.status).toBe(422);
      expect(res.body.type).toMatch(/invalid-local-government-code$/);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'localGovernmentCode' })]);
      await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'municipality', name: '福岡市', localGovernmentCode: '401307' }).expect(201);
      const pref = await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'prefecture', name: '大阪府', localGovernmentCode: '271004' });
      expect(pref.status).toBe(422);
    });

    it('refuses an unknown body field (400) and names it', async () => {
      const res = await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'ministry', name: '法務省 矯正局', isAdmin: true });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'isAdmin', message: 'unknown field' }]);
    });

    it('refuses a duplicate local government code with 409', async () => {
      const res = await t.http.post(`${API}/organizations`).set(bearer(admin)).send({ kind: 'municipality', name: '大阪市 2', localGovernmentCode: '271004' });
      expect(res.status).toBe(409);
    });

    it('refuses roles and scopes that do not fit the organisation kind', async () => {
      await t.http.post(`${API}/users`).set(bearer(admin)).send({ username: 'muni.user', displayName: 'x', organizationId: municipality.id, roles: ['case_officer'], password: 'a-long-enough-password' }).expect(422);
      await t.http.post(`${API}/organizations/${municipality.id}/clients`).set(bearer(admin)).send({ scopes: ['records:write'] }).expect(422);
    });

    it('lists organisations with cursor pagination', async () => {
      const first = await t.http.get(`${API}/organizations?limit=1`).set(bearer(admin)).expect(200);
      expect(first.body.items).toHaveLength(1);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await t.http.get(`${API}/organizations?limit=1&cursor=${first.body.nextCursor}`).set(bearer(admin)).expect(200);
      expect(second.body.items[0].id).not.toBe(first.body.items[0].id);
    });

    it('never shows a client secret again', async () => {
      const res = await t.http.get(`${API}/organizations/${municipality.id}/clients`).set(bearer(admin)).expect(200);
      expect(JSON.stringify(res.body)).not.toContain(client.clientSecret);
      expect(res.body.items[0]).not.toHaveProperty('secretHash');
    });
  });
});
