import { clientToken, createClient, createOrg } from './support/factories';
import { ADMIN, API, createTestApp, signIn, TestApp } from './support/test-app';

/** The token endpoint as OAuth 2.0 clients expect it (RFC 6749 §2.3.1, §3.2, §5.2). */
describe('OAuth token endpoint', () => {
  let t: TestApp;
  let client: { clientId: string; clientSecret: string };
  const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const token = () => t.http.post(`${API}/auth/token`).type('form');

  beforeAll(async () => {
    t = await createTestApp();
    const admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    const org = await createOrg(t, admin, { kind: 'municipality', name: '福岡市', localGovernmentCode: '401307' });
    client = await createClient(t, admin, org.id);
  });
  afterAll(() => t.close());

  const expectOAuthError = (res: { status: number; body: Record<string, unknown>; headers: Record<string, string> }, status: number, error: string) => {
    expect({ status: res.status, error: res.body.error }).toEqual({ status, error });
    // RFC 6749 §5.2: application/json, the problem details members beside `error` and `error_description`.
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ status, title: expect.any(String), type: expect.stringMatching(/\/problems\/[a-z-]+$/), error_description: expect.any(String) });
    expect(res.body.error_description).toBe(res.body.detail);
  };

  it('authenticates the client with HTTP Basic as well as in the body', async () => {
    const res = await token().set('Authorization', basic(client.clientId, client.clientSecret)).send({ grant_type: 'client_credentials' }).expect(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('ignores parameters it does not know', async () => {
    await token().send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, resource: 'urn:x', audience: 'y' }).expect(200);
  });

  it('answers a missing or repeated parameter with 400 invalid_request', async () => {
    expectOAuthError(await token().send({ client_id: client.clientId, client_secret: client.clientSecret }), 400, 'invalid_request');
    expectOAuthError(await token().send(`grant_type=client_credentials&client_id=${client.clientId}&client_id=${client.clientId}&client_secret=${client.clientSecret}`), 400, 'invalid_request');
    expectOAuthError(await token().send({ grant_type: 'client_credentials', client_id: client.clientId }), 400, 'invalid_request');
  });

  it('refuses two ways of client authentication at once with invalid_request', async () => {
    const res = await token().set('Authorization', basic(client.clientId, client.clientSecret)).send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
    expectOAuthError(res, 400, 'invalid_request');
  });

  it('answers another grant type with 400 unsupported_grant_type', async () => {
    for (const grant of ['password', 'authorization_code', 'CLIENT_CREDENTIALS']) {
      expectOAuthError(await token().send({ grant_type: grant, client_id: client.clientId, client_secret: client.clientSecret }), 400, 'unsupported_grant_type');
    }
  });

  it('answers a scope the client lacks with 400 invalid_scope', async () => {
    expectOAuthError(await token().send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret, scope: 'records:write' }), 400, 'invalid_scope');
  });

  it('answers wrong credentials with 401 invalid_client and a WWW-Authenticate challenge, by body or by Basic', async () => {
    for (const res of [
      await token().send({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'wrong' }),
      await token().set('Authorization', basic(client.clientId, 'wrong')).send({ grant_type: 'client_credentials' }),
      await token().send({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'nothing' }),
    ]) {
      expectOAuthError(res, 401, 'invalid_client');
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="[^"]+"/);
      expect(JSON.stringify(res.body)).not.toContain(client.clientSecret);
    }
  });

  it('challenges a bearer-protected route with WWW-Authenticate: Bearer', async () => {
    const res = await t.http.get(`${API}/requests`).expect(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="[^"]+"/);
    const ok = await clientToken(t, client);
    await t.http.get(`${API}/requests`).set('Authorization', `Bearer ${ok}`).expect(200);
  });
});
