import { API, bearer, signIn, TestApp } from './test-app';

export interface OrgHandle {
  id: string;
  kind: string;
  localGovernmentCode?: string;
}

export async function createOrg(t: TestApp, adminToken: string, body: Record<string, unknown>): Promise<OrgHandle> {
  const res = await t.http.post(`${API}/organizations`).set(bearer(adminToken)).send(body);
  if (res.status !== 201) throw new Error(`create org failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as OrgHandle;
}

export async function createClient(t: TestApp, adminToken: string, orgId: string, scopes?: string[]): Promise<{ clientId: string; clientSecret: string }> {
  const res = await t.http.post(`${API}/organizations/${orgId}/clients`).set(bearer(adminToken)).send(scopes ? { scopes } : {});
  if (res.status !== 201) throw new Error(`create client failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function clientToken(t: TestApp, c: { clientId: string; clientSecret: string }): Promise<string> {
  const res = await t.http
    .post(`${API}/auth/token`)
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
  if (res.status !== 200) throw new Error(`token failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token;
}

let seq = 0;
export async function createStaff(
  t: TestApp,
  adminToken: string,
  organizationId: string,
  roles: string[],
): Promise<{ id: string; username: string; token: string; secret: string; password: string }> {
  const username = `staff${++seq}_${Date.now().toString(36)}`;
  const password = `pw-${username}-long-enough`;
  const res = await t.http.post(`${API}/users`).set(bearer(adminToken)).send({ username, displayName: `職員 ${seq}`, organizationId, roles, password });
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
  const { token, secret } = await signIn(t, username, password);
  return { id: res.body.id, username, token, secret, password };
}
