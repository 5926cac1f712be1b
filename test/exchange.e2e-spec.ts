import { compactVerify, createLocalJWKSet } from 'jose';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, safeguardsBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

describe('exchange: the whole flow through HTTP', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
  });
  afterAll(() => t.close());

  it('goes from safeguards to a verified receipt, disclosing exactly the approved fields', async () => {
    // The municipality registers safeguards; a reviewer verifies them.
    const put = await t.http.put(`${API}/safeguards`).set(bearer(w.cityToken)).send(safeguardsBody()).expect(201);
    expect(put.body).toMatchObject({ status: 'submitted', version: 1 });
    const current = await t.http.get(`${API}/safeguards/current`).set(bearer(w.cityToken)).expect(200);
    expect(current.body.active).toBeNull();
    await t.http.post(`${API}/safeguards/${put.body.id}/verify`).set(bearer(w.reviewer.token)).send({}).expect(200);
    const active = await t.http.get(`${API}/safeguards/current`).set(bearer(w.cityToken)).expect(200);
    expect(active.body.active).toMatchObject({ id: put.body.id, status: 'active' });

    // The facility imports records: one bad line is reported, the rest stored.
    const good1 = recordBody({ fullName: '法務 太郎', birthDate: '1980-04-01' });
    const good2 = recordBody({ fullName: '更生 花子', fullNameKana: 'コウセイ ハナコ', birthDate: '1975-08-15', sex: 'female' });
    const bad = { ...recordBody(), birthDate: '1980-02-30' };
    const ndjson = [good1, bad, good2].map((r) => JSON.stringify(r)).join('\n');
    const imported = await t.http.post(`${API}/release-records/import`).set(bearer(w.facilityToken)).set('Content-Type', 'application/x-ndjson').send(ndjson).expect(200);
    expect(imported.body).toMatchObject({ accepted: 2, rejected: 1 });
    expect(imported.body.lines[1]).toMatchObject({ line: 2, status: 'rejected', errors: [{ field: 'birthDate', message: expect.any(String) }] });
    expect(JSON.stringify(imported.body.lines[1])).not.toContain('1980-02-30');
    const count = await t.db.query('SELECT count(*)::int AS n FROM release_records');
    expect(count.rows[0].n).toBe(2);
    const recordId = imported.body.lines[0].id as string;

    // The municipality asks about one person by name and birth date (spacing and width differ).
    const key = idemKey();
    const body = requestBody({ fullName: '法務　太郎', birthDate: '1980-04-01' });
    const created = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', key).send(body).expect(201);
    expect(created.body).toMatchObject({ status: 'pending', purpose: 'reintegration_support', categories: body.categories });
    expect(created.body).not.toHaveProperty('holderOrganizationId');
    expect(created.body).not.toHaveProperty('recordId');
    const replay = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', key).send(body).expect(201);
    expect(replay.body.id).toBe(created.body.id);
    expect(replay.headers['idempotent-replayed']).toBe('true');

    // It reaches the holder's queue, and no other agency's.
    const queue = await t.http.get(`${API}/requests?status=pending`).set(bearer(w.officer.token)).expect(200);
    expect(queue.body.items.map((r: { id: string }) => r.id)).toContain(created.body.id);
    expect(queue.body.items[0]).toMatchObject({ recordId, requesterOrganizationId: w.city.id });
    const elsewhere = await t.http.get(`${API}/requests`).set(bearer(w.probationOfficer.token)).expect(200);
    expect(elsewhere.body.items).toHaveLength(0);

    // A case officer narrows and approves.
    const accessUntil = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const decided = await t.http
      .post(`${API}/requests/${created.body.id}/decisions`)
      .set(bearer(w.officer.token))
      .send({ decision: 'approve', categories: ['identity', 'residence'], accessUntil, maxRetrievals: 2, reason: '同意書を確認、必要最小限に限定' })
      .expect(200);
    expect(decided.body).toMatchObject({ status: 'approved', approvedCategories: ['identity', 'residence'], maxRetrievals: 2 });

    // The municipality retrieves exactly the approved fields with a receipt that verifies against the JWKS.
    const got = await t.http.get(`${API}/requests/${created.body.id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    expect(got.body.categories).toEqual(['identity', 'residence']);
    expect(got.body.data).toEqual({
      identity: { fullName: '法務 太郎', fullNameKana: 'ホウム タロウ', birthDate: '1980-04-01', sex: 'male' },
      residence: { address: '大阪府大阪市北区架空町1-2-3', localGovernmentCode: '271004' },
    });
    expect(got.body.retrievalsLeft).toBe(1);
    const jwks = createLocalJWKSet((await t.http.get('/.well-known/jwks.json')).body);
    const { payload, protectedHeader } = await compactVerify(got.body.receipt, jwks);
    expect(protectedHeader.alg).toBe('ES256');
    const receipt = JSON.parse(new TextDecoder().decode(payload));
    expect(receipt).toMatchObject({ requestId: created.body.id, categories: ['identity', 'residence'], auditEventId: got.body.auditEventId });
    expect(receipt.dataDigest).toBe(createHash('sha256').update(canonicalize(got.body.data)!).digest('base64url'));

    // The disclosure and its audit event are on record; the holder sees who received what.
    const event = await t.db.query(`SELECT action, outcome, record_id, organization_id FROM audit_events WHERE id = $1`, [got.body.auditEventId]);
    expect(event.rows[0]).toEqual({ action: 'disclosure.retrieve', outcome: 'success', record_id: recordId, organization_id: w.city.id });
    const history = await t.http.get(`${API}/release-records/${recordId}/disclosures`).set(bearer(w.officer.token)).expect(200);
    expect(history.body.items).toEqual([expect.objectContaining({ requestId: created.body.id, recipient: { id: w.city.id, name: '大阪市' }, categories: ['identity', 'residence'] })]);

    // The second retrieval uses the last one; the third is refused.
    await t.http.get(`${API}/requests/${created.body.id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    const third = await t.http.get(`${API}/requests/${created.body.id}/disclosure`).set(bearer(w.cityToken)).expect(403);
    expect(third.body.type).toMatch(/retrievals-exhausted$/);
  });

  it('finds a person by the record reference and by kana as entered', async () => {
    await activateSafeguards(t, w, w.prefectureToken).catch(() => undefined);
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '試験 次郎', fullNameKana: 'シケン ジロウ', birthDate: '1990-01-02', plannedResidence: { address: '大阪府堺市堺区', localGovernmentCode: '271403' } })).expect(201);
    expect(rec.body.recordRef).toMatch(/^R-/);
    const byRef = await t.http.post(`${API}/requests`).set(bearer(w.prefectureToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: rec.body.recordRef }));
    expect(byRef.status).toBe(201);
    const byKana = await t.http.post(`${API}/requests`).set(bearer(w.prefectureToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: 'ｼｹﾝ ｼﾞﾛｳ', birthDate: '1990-01-02' }));
    expect(byKana.status).toBe(201);
  });
});
