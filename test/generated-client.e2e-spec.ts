// Integrators judge the service by standard tools: a client generated from the OpenAPI document it
// serves (openapi-typescript types + openapi-fetch) runs the whole exchange, and an unmodified
// OAuth client (openid-client) obtains tokens from it. Every answer the generated client receives is
// checked against the served document (status, media type, body schema, no undocumented members).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import canonicalize from 'canonicalize';
import { compactVerify, createLocalJWKSet } from 'jose';
import createClient from 'openapi-fetch';
import type { Middleware } from 'openapi-fetch';
import measures from '../config/safeguard-measures.json';
import { AuditLogService } from '../src/audit/audit-log.service';
import type { components, paths } from './client/openapi';
import { generateTypesAsync, servedDocument, TYPES_FILE, writeTemporary } from './openapi/document';
import { Conformance, OpenApiDocument } from './support/openapi-conformance';
import { ADMIN, createTestApp, secretFromUri, TestApp, totpFor } from './support/test-app';

type Schemas = components['schemas'];

/** The first lines where two texts differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, n) => line !== y[n]);
  const at = i < 0 ? Math.min(x.length, y.length) : i;
  return `line ${at + 1}:\n  committed: ${JSON.stringify(x[at] ?? '(end)')}\n  served:    ${JSON.stringify(y[at] ?? '(end)')}`;
}

describe('a client generated from the served OpenAPI document', () => {
  let t: TestApp;
  let base: string;
  let doc: OpenApiDocument;
  let conformance: Conformance;
  let admin: string;
  /** Every answer the generated client received, checked against the document. */
  const answers: string[] = [];
  const nonConforming: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    // createTestApp already listens on 127.0.0.1.
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    doc = (await servedDocument(t)) as OpenApiDocument;
    conformance = new Conformance(doc);
    admin = await signIn(ADMIN.username, ADMIN.password);
  });
  afterAll(() => t.close());

  /** openapi-fetch middleware: every answer must be one the document describes. */
  const conform: Middleware = {
    async onResponse({ request, response, schemaPath }) {
      const problems = conformance.check(
        request.method,
        schemaPath,
        response.status,
        response.headers.get('content-type'),
        await response.clone().text(),
      );
      answers.push(`${request.method} ${schemaPath} ${response.status}`);
      if (problems.length) {
        nonConforming.push(...problems);
        throw new Error(
          `the answer does not conform to the served OpenAPI document:\n${problems.join('\n')}`,
        );
      }
      return undefined;
    },
  };
  const api = () => {
    const client = createClient<paths>({ baseUrl: base });
    client.use(conform);
    return client;
  };
  const as = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

  /** Staff sign-in: password, then TOTP enrolment and activation on first use. */
  async function signIn(username: string, password: string): Promise<string> {
    const login = await api().POST('/api/v1/auth/login', { body: { username, password } });
    if (!login.data)
      throw new Error(`sign-in failed: ${login.response.status} ${JSON.stringify(login.error)}`);
    expect(login.data).toMatchObject({ token_type: 'Bearer', mfaEnrollmentRequired: true });
    const enroll = await api().POST('/api/v1/auth/mfa/enroll', as(login.data.access_token));
    if (!enroll.data) throw new Error(`enrolment failed: ${enroll.response.status}`);
    const verify = await api().POST('/api/v1/auth/mfa/verify', {
      ...as(login.data.access_token),
      body: { code: totpFor(secretFromUri(enroll.data.otpauthUri)) },
    });
    if (!verify.data)
      throw new Error(`TOTP activation failed: ${verify.response.status} ${JSON.stringify(verify.error)}`);
    return verify.data.access_token;
  }

  it('has committed the types openapi-typescript generates from the served document (npm run openapi:types)', async () => {
    const file = writeTemporary(doc);
    let served: string;
    try {
      const out = join(dirname(file), 'openapi.d.ts');
      await generateTypesAsync(file, out);
      served = readFileSync(out, 'utf8');
    } finally {
      rmSync(dirname(file), { recursive: true, force: true });
    }
    const committed = readFileSync(TYPES_FILE, 'utf8');
    if (served !== committed)
      throw new Error(
        `test/client/openapi.d.ts differs from the served document; run npm run openapi:types. First difference at ${firstDifference(committed, served)}`,
      );
    expect(served).toContain('"/api/v1/requests/{id}/disclosure"');
  });

  it('runs the exchange through openapi-fetch typed with the committed paths', async () => {
    const client = api();

    // The administrator sets up a municipality, a prison, their client and staff.
    const ministries = await client.GET('/api/v1/organizations', {
      ...as(admin),
      params: { query: { kind: 'ministry' } },
    });
    const ministry = ministries.data!.items[0]!;
    expect(ministry.kind).toBe('ministry');
    const city = (
      await client.POST('/api/v1/organizations', {
        ...as(admin),
        body: { kind: 'municipality', name: '大阪市', localGovernmentCode: '271004' },
      })
    ).data!;
    const prison = (
      await client.POST('/api/v1/organizations', {
        ...as(admin),
        body: { kind: 'correctional_facility', name: '大阪刑務所' },
      })
    ).data!;
    expect(city).toMatchObject({ kind: 'municipality', localGovernmentCode: '271004', parentId: null });
    const cityClient = (
      await client.POST('/api/v1/organizations/{id}/clients', {
        ...as(admin),
        params: { path: { id: city.id } },
        body: { name: 'Osaka City case system' },
      })
    ).data!;
    expect(cityClient.scopes).toEqual(['safeguards:write', 'requests:write', 'disclosures:read', 'webhooks:write']);
    const staff = async (
      organizationId: string,
      roles: Schemas['CreateUserDto']['roles'],
      username: string,
    ) => {
      const password = `${username}-password-long-enough`;
      const created = await client.POST('/api/v1/users', {
        ...as(admin),
        body: { username, displayName: username, organizationId, roles, password },
      });
      expect(created.response.status).toBe(201);
      expect(created.data).toMatchObject({ username, roles, mfaEnrolled: false, disabled: false });
      return signIn(username, password);
    };
    const reviewer = await staff(ministry.id, ['safeguard_reviewer'], 'reviewer.gc');
    const officer = await staff(prison.id, ['case_officer'], 'officer.gc');

    // The municipality's system takes a token with the client credentials grant (a form, as OAuth says).
    const token = await client.POST('/api/v1/auth/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: cityClient.clientId,
        client_secret: cityClient.clientSecret,
      },
      bodySerializer: (body) => new URLSearchParams(body as Record<string, string>),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    if (!token.data) throw new Error(`token failed: ${token.response.status} ${JSON.stringify(token.error)}`);
    expect(token.data).toMatchObject({
      token_type: 'Bearer',
      scope: 'safeguards:write requests:write disclosures:read webhooks:write',
    });
    expect(token.response.headers.get('cache-control')).toBe('no-store');
    const municipality = token.data.access_token;

    // Safeguards: registered by the municipality, verified by a reviewer.
    const safeguards: Schemas['RegisterSafeguardsDto'] = {
      legalBasis: {
        kind: 'ordinance',
        title: '大阪府子どもを性犯罪から守る条例',
        article: '第17条',
        enactedOn: '2012-03-30',
        appiGround: 'statutory_duty',
      },
      responsibleDepartment: '福祉局 再犯防止推進課',
      contactPoint: {
        name: '再犯防止推進課 窓口',
        phone: '06-6000-0000',
        email: 'saihan@city.example.lg.jp',
      },
      privacyOfficer: '福祉局 総務課長',
      retention: { days: 365, disposalMethod: '裁断及び電子データの完全消去' },
      measures: {
        organizational: Object.keys(measures.organizational),
        human: Object.keys(measures.human),
        physical: Object.keys(measures.physical),
        technical: Object.keys(measures.technical),
      },
      purposes: ['reintegration_support', 'welfare_coordination'],
      attestedBy: { name: '大阪 花子', title: '福祉局長' },
      attestedOn: '2026-04-01',
    };
    const registered = await client.PUT('/api/v1/safeguards', { ...as(municipality), body: safeguards });
    expect(registered.response.status).toBe(201);
    expect(registered.data).toMatchObject({
      status: 'submitted',
      version: 1,
      organizationId: city.id,
      validUntil: null,
    });
    const queue = await client.GET('/api/v1/safeguards', as(reviewer));
    expect(queue.data!.items.map((s) => s.id)).toContain(registered.data!.id);
    const verified = await client.POST('/api/v1/safeguards/{id}/verify', {
      ...as(reviewer),
      params: { path: { id: registered.data!.id } },
      body: {},
    });
    expect(verified.data).toMatchObject({ status: 'active', statusReason: null });
    const current = await client.GET('/api/v1/safeguards/current', as(municipality));
    expect(current.data!.active?.id).toBe(registered.data!.id);

    // The prison records a release.
    const record = await client.POST('/api/v1/release-records', {
      ...as(officer),
      body: {
        externalRef: 'OSK-2026-GC-0001',
        fullName: '法務 太郎',
        fullNameKana: 'ホウム タロウ',
        birthDate: '1980-04-01',
        sex: 'male',
        releaseDate: '2026-12-15',
        releaseType: 'parole',
        facilityName: '大阪刑務所',
        plannedResidence: { address: '大阪府大阪市北区架空町1-2-3', localGovernmentCode: '271004' },
        supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31' },
        supportNeeds: { needs: ['housing', 'employment'] },
      },
    });
    expect(record.response.status).toBe(201);
    const recordRef = record.data!.recordRef;
    expect(record.data).toMatchObject({
      admissionDate: null,
      offense: null,
      consents: [],
      supervision: { probationOfficeName: '大阪保護観察所' },
    });

    // The municipality asks about the person, for a stated purpose and legal ground.
    const categories: Schemas['CreateRequestDto']['categories'] = [
      'identity',
      'release',
      'residence',
      'supervision',
      'support_needs',
    ];
    const asked = await client.POST('/api/v1/requests', {
      ...as(municipality),
      params: { header: { 'Idempotency-Key': 'gc-request-1' } },
      body: {
        subject: { recordRef },
        purpose: 'reintegration_support',
        categories,
        legalGround: {
          kind: 'consent',
          consent: {
            documentRef: '大阪市-同意書-2026-0042',
            signedOn: '2026-11-01',
            scope: '社会復帰支援のための情報',
          },
        },
        justification: '帰住予定地での住居確保及び就労支援の調整のため',
      },
    });
    expect(asked.response.status).toBe(201);
    const request = asked.data!;
    expect(request).toMatchObject({
      status: 'pending',
      categories,
      approvedCategories: null,
      retrievalsLeft: null,
    });
    expect(request).not.toHaveProperty('recordId');

    // The prison's case officer sees it with who asks, and approves it.
    const routed = await client.GET('/api/v1/requests/{id}', {
      ...as(officer),
      params: { path: { id: request.id } },
    });
    expect(routed.data).toMatchObject({
      id: request.id,
      recordId: record.data!.id,
      recordRef,
      requester: { id: city.id, name: '大阪市', kind: 'municipality' },
    });
    const decided = await client.POST('/api/v1/requests/{id}/decisions', {
      ...as(officer),
      params: { path: { id: request.id } },
      body: {
        decision: 'approve',
        maxRetrievals: 2,
        reason: '本人同意書を確認。帰住調整に必要な範囲に限定。',
      },
    });
    if (!decided.data)
      throw new Error(`decision failed: ${decided.response.status} ${JSON.stringify(decided.error)}`);
    expect(decided.data).toMatchObject({
      status: 'approved',
      approvedCategories: categories,
      maxRetrievals: 2,
      retrievals: 0,
    });
    expect(decided.data.decisions).toEqual([
      expect.objectContaining({ stage: 1, decision: 'approve', categories, maxRetrievals: 2 }),
    ]);
    const decisions = await client.GET('/api/v1/requests/{id}/decisions', {
      ...as(officer),
      params: { path: { id: request.id } },
    });
    expect(decisions.data!.items).toHaveLength(1);

    // The municipality retrieves exactly the approved fields, with a receipt signed by the service.
    const disclosure = await client.GET('/api/v1/requests/{id}/disclosure', {
      ...as(municipality),
      params: { path: { id: request.id } },
    });
    if (!disclosure.data)
      throw new Error(`disclosure failed: ${disclosure.response.status} ${JSON.stringify(disclosure.error)}`);
    const { data, receipt } = disclosure.data;
    expect(Object.keys(data).sort()).toEqual([
      'identity',
      'release',
      'residence',
      'supervision',
      'supportNeeds',
    ]);
    expect(data.identity).toEqual({
      fullName: '法務 太郎',
      fullNameKana: 'ホウム タロウ',
      birthDate: '1980-04-01',
      sex: 'male',
    });
    expect(data.supervision).toEqual({
      probationOfficeName: '大阪保護観察所',
      supervisionEndDate: '2027-03-31',
      officerContact: null,
    });
    expect(disclosure.data.retrievalsLeft).toBe(1);
    const jwks = await client.GET('/.well-known/jwks.json');
    const { payload, protectedHeader } = await compactVerify(receipt, createLocalJWKSet(jwks.data!));
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'oie-receipt+jwt' });
    const signed = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    const digest = createHash('sha256').update(canonicalize(data)!).digest('base64url');
    expect(signed).toMatchObject({
      requestId: request.id,
      categories,
      dataDigest: digest,
      auditEventId: disclosure.data.auditEventId,
      recipient: city.id,
    });

    // The holder sees who received what about the person.
    const history = await client.GET('/api/v1/release-records/{id}/disclosures', {
      ...as(officer),
      params: { path: { id: record.data!.id } },
    });
    expect(history.data!.items).toEqual([
      expect.objectContaining({
        requestId: request.id,
        dataDigest: digest,
        recipient: { id: city.id, name: '大阪市' },
        legalGround: 'consent',
      }),
    ]);

    // Refusals come back as the documented problem details, typed as such.
    const notYours = await client.GET('/api/v1/requests/{id}', {
      ...as(municipality),
      params: { path: { id: '00000000-0000-4000-8000-000000000000' } },
    });
    expect(notYours.response.status).toBe(404);
    expect(notYours.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(notYours.error).toMatchObject({
      status: 404,
      title: 'Not Found',
      instance: '/api/v1/requests/00000000-0000-4000-8000-000000000000',
    });
    const noToken = await client.GET('/api/v1/requests');
    expect(noToken.response.status).toBe(401);
    expect(noToken.response.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const badScope = await client.POST('/api/v1/auth/token', {
      body: {
        grant_type: 'client_credentials',
        client_id: cityClient.clientId,
        client_secret: cityClient.clientSecret,
        scope: 'records:write',
      },
    });
    expect(badScope.response.status).toBe(400);
    expect(badScope.error).toMatchObject({
      error: 'invalid_scope',
      errors: [{ field: 'scope', message: 'not granted' }],
    });

    // The administration and audit reads answer as documented too (the export by its media type).
    const clients = await client.GET('/api/v1/organizations/{id}/clients', {
      ...as(admin),
      params: { path: { id: city.id } },
    });
    expect(clients.data).toMatchObject({
      items: [{ clientId: cityClient.clientId, revokedAt: null }],
      nextCursor: null,
    });
    expect(clients.data!.items[0]).not.toHaveProperty('clientSecret');
    expect(
      (await client.GET('/api/v1/users', { ...as(admin), params: { query: { organizationId: prison.id } } }))
        .data!.items,
    ).toEqual([expect.objectContaining({ username: 'officer.gc', mfaEnrolled: true })]);
    const auditor = await staff(ministry.id, ['auditor'], 'auditor.gc');
    const events = await client.GET('/api/v1/audit/events', {
      ...as(auditor),
      params: { query: { action: 'disclosure.retrieve' } },
    });
    expect(events.data!.items).toEqual([
      expect.objectContaining({
        action: 'disclosure.retrieve',
        resourceId: request.id,
        id: disclosure.data.auditEventId,
        outcome: 'success',
      }),
    ]);
    await t.app.get(AuditLogService).sealNow();
    const checkpoint = (await client.GET('/api/v1/audit/checkpoints/latest', as(auditor))).data!;
    expect(checkpoint.treeSize).toBeGreaterThan(1);
    expect(
      (await client.GET('/api/v1/audit/checkpoints', { ...as(auditor), params: { query: { limit: 1 } } }))
        .data!.items,
    ).toEqual([checkpoint]);
    const proof = await client.GET('/api/v1/audit/events/{index}/proof', {
      ...as(auditor),
      params: { path: { index: '0' }, query: { treeSize: checkpoint.treeSize } },
    });
    expect(proof.data).toMatchObject({
      leafIndex: 0,
      treeSize: checkpoint.treeSize,
      rootHash: checkpoint.rootHash,
      checkpoint,
    });
    const consistency = await client.GET('/api/v1/audit/consistency', {
      ...as(auditor),
      params: { query: { from: 1, to: checkpoint.treeSize } },
    });
    expect(consistency.data).toMatchObject({ from: 1, to: checkpoint.treeSize, toRoot: checkpoint.rootHash });
    const report = await client.POST('/api/v1/audit/verify', { ...as(auditor), body: {} });
    expect(report.data).toMatchObject({ ok: true });
    const csv = await client.GET('/api/v1/audit/events/export', {
      ...as(auditor),
      params: { query: { format: 'csv', action: 'request.create' } },
      parseAs: 'text',
    });
    expect(csv.response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.data!.split('\n')[0]).toMatch(/^id,occurredAt,actorType,/);

    // The operations endpoints answer as documented too.
    expect((await client.GET('/health/live')).data).toEqual({ status: 'ok' });
    expect((await client.GET('/health/ready')).data).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, migrations: { status: 'up' } },
    });
    // Even the routes without parameters answer the documented 400 to a query the body parser refuses.
    for (const path of ['/health/live', '/.well-known/jwks.json'] as const) {
      const refused = await t.http.get(`${path}?q=%00`);
      expect(refused.status).toBe(400);
      expect(
        conformance.check('GET', path, refused.status, refused.headers['content-type'] ?? null, refused.text),
      ).toEqual([]);
    }

    expect(nonConforming).toEqual([]);
    expect(answers.length).toBeGreaterThan(25);
  });

  it('gives openid-client (unmodified, client credentials) tokens that verify with jose against the JWKS, and answers its bad requests with OAuth errors', async () => {
    const client = api();
    const city = (
      await client.POST('/api/v1/organizations', {
        ...as(admin),
        body: { kind: 'municipality', name: '福岡市', localGovernmentCode: '401307' },
      })
    ).data!;
    const created = (
      await client.POST('/api/v1/organizations/{id}/clients', {
        ...as(admin),
        params: { path: { id: city.id } },
        body: { scopes: ['requests:write', 'disclosures:read'] },
      })
    ).data!;

    const run = await promisify(execFile)(
      process.execPath,
      [
        join(__dirname, 'support', 'openid-client-credentials.mjs'),
        base,
        t.config.jwt.issuer,
        t.config.jwt.audience,
        created.clientId,
        created.clientSecret,
        'disclosures:read',
      ],
      { timeout: 30_000 },
    );
    const result = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>;

    // client_secret_post and client_secret_basic both get a token that verifies with jose against the JWKS.
    expect(result.post).toMatchObject({
      ok: true,
      token_type: 'bearer',
      scope: 'requests:write disclosures:read',
      claims: { sub: created.clientId, org: city.id, scope: 'requests:write disclosures:read' },
      header: { alg: 'ES256', typ: 'at+jwt' },
    });
    expect(result.basic).toMatchObject({
      ok: true,
      scope: 'disclosures:read',
      claims: { sub: created.clientId, scope: 'disclosures:read' },
    });

    // A wrong secret: openid-client surfaces the 401 by its WWW-Authenticate challenge (Basic, as RFC 6749
    // §5.2 asks for invalid_client), whichever way the client authenticated; the answer carries error=invalid_client.
    for (const attempt of [result.invalidClient, result.invalidClientBasic]) {
      expect(attempt).toMatchObject({
        ok: false,
        class: 'WWWAuthenticateChallengeError',
        code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
        status: 401,
        challenges: [{ scheme: 'basic', parameters: { realm: 'offender-info-exchange' } }],
        body: { status: 401, error: 'invalid_client', error_description: expect.any(String) },
      });
    }

    // A scope the client does not hold: the token endpoint answers OAuth errors as application/json
    // (RFC 6749 §5.2), so openid-client surfaces invalid_scope itself.
    expect(result.invalidScope).toMatchObject({ ok: false, class: 'ResponseBodyError', error: 'invalid_scope', status: 400 });
  });
});
