import { APP_CONFIG } from '../config/configuration';
import type { AppConfig } from '../config/configuration';
import { Clock } from '../src/common/clock';
import { ExpiryService } from '../src/scheduler/expiry.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { parsePrometheusText } from './support/prometheus';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

const DAY = 86_400_000;
const RETENTION_DAYS = 30;

/** Erasure (消去の確認): owed once an approval whose data was retrieved ends, attested by the requester. */
describe('erasure attestations', () => {
  let t: TestApp;
  let w: World;
  let clock: Clock;
  let expiry: ExpiryService;
  let recordRef: string;
  let ministryId: string;
  const record = recordBody({ fullName: '消去 次郎', birthDate: '1981-02-03' });
  const attestation = { disposedOn: '2026-01-05', method: '裁断及び電子データの完全消去', attestedBy: { name: '堺 一郎', title: '再犯防止推進課長' }, note: '紙資料は溶解処理' };

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    clock = t.app.get(Clock);
    expiry = t.app.get(ExpiryService);
    await activateSafeguards(t, w, w.cityToken, { retention: { days: RETENTION_DAYS, disposalMethod: '裁断' } });
    recordRef = (await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(record).expect(201)).body.recordRef;
    ministryId = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin)).expect(200)).body.items[0].id;
  }, 60_000);
  afterEach(() => clock.set(new Date()));
  afterAll(() => t?.close());

  const ask = async () =>
    (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef })).expect(201)).body as { id: string; erasure: string };
  const approve = (id: string, over: Record<string, unknown> = {}) =>
    t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', maxRetrievals: 2, reason: '同意書を確認', ...over }).expect(200);
  const retrieve = (id: string) => t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(200);
  const revoke = (id: string) => t.http.post(`${API}/requests/${id}/revoke`).set(bearer(w.officer.token)).send({ reason: '同意の撤回' }).expect(200);
  const view = async (id: string, token = w.cityToken) => (await t.http.get(`${API}/requests/${id}`).set(bearer(token)).expect(200)).body as { erasure: string; erasureDueAt: string | null };
  const events = async (id: string) =>
    (await t.db.query(`SELECT type, organization_ids, data FROM domain_events WHERE subject_id = $1 AND type LIKE 'erasure.%' ORDER BY seq`, [id])).rows as { type: string; organization_ids: string[]; data: Record<string, unknown> }[];
  const attest = (id: string, token = w.cityToken, body: Record<string, unknown> = attestation) => t.http.post(`${API}/requests/${id}/erasure`).set(bearer(token)).send(body);

  it('is owed once the last retrieval exhausts an approval: due, notified once, attested once, audited without who attested', async () => {
    const r = await ask();
    expect(r.erasure).toBe('not_due');
    await approve(r.id, { maxRetrievals: 1 });
    expect((await view(r.id)).erasure).toBe('not_due');
    const before = Date.now();
    await retrieve(r.id);
    const mine = await view(r.id);
    expect(mine.erasure).toBe('due');
    const dueAt = Date.parse(mine.erasureDueAt!);
    expect(dueAt).toBeGreaterThanOrEqual(before + RETENTION_DAYS * DAY - 5_000);
    expect(dueAt).toBeLessThanOrEqual(Date.now() + RETENTION_DAYS * DAY + 5_000);
    expect(await view(r.id, w.officer.token)).toMatchObject({ erasure: 'due', erasureDueAt: mine.erasureDueAt });

    await expiry.notify();
    await expiry.notify();
    const due = await events(r.id);
    expect(due).toEqual([{ type: 'erasure.due', organization_ids: [w.city.id], data: expect.objectContaining({ requestId: r.id, erasure: 'due', endedStatus: 'exhausted', dueAt: mine.erasureDueAt }) }]);

    // Another municipality finds nothing; a future disposal date is refused; then the attestation.
    expect((await attest(r.id, w.otherCityToken)).status).toBe(404);
    const future = await attest(r.id, w.cityToken, { ...attestation, disposedOn: new Date(Date.now() + 3 * DAY).toISOString().slice(0, 10) });
    expect(future.status).toBe(422);
    expect(future.body.type).toMatch(/\/disposed-on-in-future$/);
    const made = await attest(r.id);
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ requestId: r.id, erasure: 'attested', endedStatus: 'exhausted', retentionDays: RETENTION_DAYS, attestation: { disposedOn: attestation.disposedOn, attestedBy: attestation.attestedBy, late: false } });
    const again = await attest(r.id);
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/\/erasure-already-attested$/);
    expect((await view(r.id)).erasure).toBe('attested');
    expect((await view(r.id, w.officer.token)).erasure).toBe('attested');

    const audited = (await t.db.query(`SELECT outcome, reason_code, details FROM audit_events WHERE action = 'erasure.attest' AND resource_id = $1 ORDER BY id`, [r.id])).rows;
    expect(audited.map((a: { outcome: string; reason_code: string | null }) => [a.outcome, a.reason_code])).toEqual([
      ['denied', 'disposed-on-in-future'],
      ['success', null],
      ['denied', 'erasure-already-attested'],
    ]);
    // Who attested, and the person, appear in no audit event and no domain event.
    const everything = JSON.stringify([(await t.db.query(`SELECT * FROM audit_events WHERE resource_id = $1`, [r.id])).rows, (await t.db.query(`SELECT * FROM domain_events WHERE subject_id = $1`, [r.id])).rows]);
    for (const v of [attestation.attestedBy.name, attestation.attestedBy.title, attestation.note, record.fullName, record.birthDate]) expect(everything).not.toContain(v);
  });

  it('owes nothing when no data was retrieved before the end', async () => {
    const r = await ask();
    await approve(r.id);
    await revoke(r.id);
    expect((await view(r.id)).erasure).toBe('not_due');
    const res = await attest(r.id);
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/\/erasure-not-due$/);
    await expiry.notify();
    expect(await events(r.id)).toEqual([]);
  });

  it('counts the retention days from the end of the access window when it closes', async () => {
    const r = await ask();
    const accessUntil = new Date(Date.now() + 2 * DAY).toISOString();
    await approve(r.id, { accessUntil });
    await retrieve(r.id);
    expect((await view(r.id)).erasure).toBe('not_due');
    clock.set(new Date(Date.parse(accessUntil) + 3_600_000));
    await expiry.sweep();
    const v = await view(r.id);
    expect(v.erasure).toBe('due');
    expect(Date.parse(v.erasureDueAt!)).toBe(Date.parse(accessUntil) + RETENTION_DAYS * DAY);
  });

  it('turns overdue after the due date: told once to the municipality and the ministry, listed to reviewers, and new requests refused until it attests', async () => {
    const r = await ask();
    await approve(r.id);
    await retrieve(r.id);
    await revoke(r.id);
    await expiry.notify();
    const { erasureDueAt } = await view(r.id);
    expect((await view(r.id)).erasure).toBe('due');

    clock.set(new Date(Date.parse(erasureDueAt!) + 60_000));
    await expiry.notify();
    await expiry.notify();
    const sent = await events(r.id);
    expect(sent.map((e) => e.type)).toEqual(['erasure.due', 'erasure.overdue']);
    expect(sent[1]!.organization_ids.sort()).toEqual([w.city.id, ministryId].sort());
    expect((await view(r.id)).erasure).toBe('overdue');
    expect((await view(r.id, w.officer.token)).erasure).toBe('overdue');
    const gauge = parsePrometheusText((await t.http.get('/metrics').expect(200)).text).samples.find((x) => x.name === 'oie_erasure_attestations' && x.labels.status === 'overdue');
    expect(gauge?.value).toBeGreaterThanOrEqual(1);

    const listed = async (status: string) =>
      ((await t.http.get(`${API}/erasure?status=${status}&limit=200`).set(bearer(w.reviewer.token)).expect(200)).body.items as { requestId: string; erasure: string }[]).filter((i) => i.requestId === r.id);
    expect(await listed('overdue')).toEqual([expect.objectContaining({ requestId: r.id, erasure: 'overdue' })]);
    expect(await listed('due')).toEqual([]);
    expect((await t.http.get(`${API}/erasure?status=overdue`).set(bearer(w.cityToken))).status).toBe(403);

    // blockOnOverdueErasure: a new request is refused, on record, until the attestation is made.
    const refused = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef }));
    expect(refused.status).toBe(403);
    expect(refused.body.type).toMatch(/\/erasure-overdue$/);
    const denial = await t.db.query(`SELECT outcome, reason_code FROM audit_events WHERE request_id = $1`, [refused.headers['x-request-id']]);
    expect(denial.rows).toEqual([{ outcome: 'denied', reason_code: 'erasure-overdue' }]);
    // Another municipality is not held up.
    await activateSafeguards(t, w, w.otherCityToken);
    const other = await t.http.post(`${API}/requests`).set(bearer(w.otherCityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef }));
    expect(other.status).not.toBe(403);

    // With the policy off, the same municipality is not refused.
    const config = t.app.get<AppConfig>(APP_CONFIG);
    config.policy.blockOnOverdueErasure = false;
    try {
      await ask();
    } finally {
      config.policy.blockOnOverdueErasure = true;
    }

    const made = await attest(r.id);
    expect(made.status).toBe(201);
    expect(made.body.attestation.late).toBe(true);
    expect(await listed('attested')).toEqual([expect.objectContaining({ erasure: 'attested' })]);
    await ask();
  });
});
