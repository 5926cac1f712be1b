import { TransactionHost } from '@nestjs-cls/transactional';
import { ClsService } from 'nestjs-cls';
import { Clock } from '../src/common/clock';
import { DomainEventsService } from '../src/events/domain-events.service';
import { ExpiryService } from '../src/scheduler/expiry.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { parsePrometheusText } from './support/prometheus';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/** Deadlines in Japanese business days, the notices each sent once, and the outbox they go through. */
describe('deadlines and domain events', () => {
  let t: TestApp;
  let w: World;
  let clock: Clock;
  let expiry: ExpiryService;
  let recordRef: string;
  const record = recordBody({ fullName: '期限 太郎', birthDate: '1979-05-05' });

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    clock = t.app.get(Clock);
    expiry = t.app.get(ExpiryService);
    await activateSafeguards(t, w, w.cityToken);
    recordRef = (await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(record).expect(201)).body.recordRef;
  });
  afterAll(() => t.close());

  const events = async (requestId: string) =>
    (await t.db.query(`SELECT type, organization_ids, data FROM domain_events WHERE subject_id = $1 ORDER BY seq`, [requestId])).rows as { type: string; organization_ids: string[]; data: Record<string, unknown> }[];
  const ask = async (over: Record<string, unknown> = {}) =>
    (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef }, over)).expect(201)).body as { id: string; dueAt: string; overdue: boolean };

  it('gives a request made before the year-end closure a deadline across the new year, a weekend and 成人の日', async () => {
    clock.set(new Date('2026-12-25T03:00:00Z')); // Friday 12:00 JST
    const r = await ask();
    // 10 business days: 12/28, (12/29-1/3 closed), 1/4-1/8, (1/9-1/10 weekend, 1/11 成人の日), 1/12-1/15.
    expect(r.dueAt).toBe('2027-01-15T14:59:59.999Z');
    expect(r.overdue).toBe(false);
    const [created] = await events(r.id);
    expect(created).toMatchObject({ type: 'request.created', organization_ids: [w.facility.id], data: { requestId: r.id, status: 'pending', dueAt: r.dueAt } });
    // Ids, states, categories and times: never a field about the person.
    const text = JSON.stringify(created.data);
    for (const v of [record.fullName, record.birthDate, record.plannedResidence.address, record.fullNameKana]) expect(text).not.toContain(v);
  });

  it('tells the holder once that a request is due soon, then once that it is overdue', async () => {
    clock.set(new Date('2026-12-25T03:00:00Z'));
    const r = await ask();
    const notices = async () => (await events(r.id)).filter((e) => e.type !== 'request.created').map((e) => e.type);

    clock.set(new Date('2027-01-13T14:59:00Z')); // 1/13 23:59 JST: not yet (due soon from 1/14 00:00 JST)
    await expiry.notify();
    expect(await notices()).toEqual([]);

    clock.set(new Date('2027-01-13T15:01:00Z')); // 1/14 00:01 JST, the business day before the due day
    await expiry.notify();
    await expiry.notify();
    expect(await notices()).toEqual(['request.due_soon']);
    const overdueBefore = await t.http.get(`${API}/requests?overdue=true`).set(bearer(w.officer.token)).expect(200);
    expect(overdueBefore.body.items.map((i: { id: string }) => i.id)).not.toContain(r.id);

    clock.set(new Date('2027-01-15T15:00:01Z')); // 1/16 00:00:01 JST: past the end of 1/15
    await expiry.notify();
    await expiry.notify();
    expect(await notices()).toEqual(['request.due_soon', 'request.overdue']);
    const [, overdue] = (await events(r.id)).filter((e) => e.type !== 'request.created');
    expect(overdue).toMatchObject({ organization_ids: [w.facility.id], data: { requestId: r.id, overdue: true } });

    // Answers show it, the filter finds it, for the holder and for the requester alike.
    const asHolder = await t.http.get(`${API}/requests?overdue=true`).set(bearer(w.officer.token)).expect(200);
    expect(asHolder.body.items.map((i: { id: string }) => i.id)).toContain(r.id);
    expect(asHolder.body.items.every((i: { overdue: boolean }) => i.overdue)).toBe(true);
    const asRequester = await t.http.get(`${API}/requests/${r.id}`).set(bearer(w.cityToken)).expect(200);
    expect(asRequester.body.overdue).toBe(true);
    const metric = parsePrometheusText((await t.http.get('/metrics').expect(200)).text).samples.find((x) => x.name === 'oie_requests_overdue');
    expect(metric?.value).toBeGreaterThanOrEqual(1);
    const notOverdue = await t.http.get(`${API}/requests?overdue=false`).set(bearer(w.officer.token)).expect(200);
    expect(notOverdue.body.items.map((i: { id: string }) => i.id)).not.toContain(r.id);
    await t.http.get(`${API}/requests?overdue=maybe`).set(bearer(w.officer.token)).expect(400);
  });

  it('gives a second approval a deadline of its own and tells the requester when decided', async () => {
    clock.set(new Date('2027-02-05T01:00:00Z')); // Friday 10:00 JST
    const r = await ask({
      purpose: 'ordinance_program',
      categories: ['identity', 'residence', 'offense'],
      legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例 第17条に基づく社会復帰支援' },
    });
    clock.set(new Date('2027-02-10T01:00:00Z')); // Wednesday 2/10 (2/11 建国記念の日 is a holiday)
    const first = await t.http.post(`${API}/requests/${r.id}/decisions`).set(bearer(w.supervisor.token)).send({ decision: 'approve', reason: '必要性を確認' }).expect(200);
    expect(first.body.status).toBe('awaiting_second_approval');
    // 5 business days from 2/10: 2/12, 2/15, 2/16, 2/17, 2/18 (2/11 holiday, 2/13-14 weekend).
    expect(first.body.dueAt).toBe('2027-02-18T14:59:59.999Z');
    const second = await t.http.post(`${API}/requests/${r.id}/decisions`).set(bearer(w.supervisor2.token)).send({ decision: 'approve', reason: '二次承認' }).expect(200);
    expect(second.body.status).toBe('approved');
    const types = (await events(r.id)).map((e) => [e.type, e.organization_ids]);
    expect(types).toEqual([
      ['request.created', [w.facility.id]],
      ['request.second_approval_required', [w.facility.id]],
      ['request.decided', [w.city.id]],
    ]);
  });

  it('writes no event when the change does not happen (a refused decision)', async () => {
    clock.set(new Date('2027-03-01T01:00:00Z'));
    const r = await ask();
    await t.http.post(`${API}/requests/${r.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'x', categories: ['identity', 'offense'] }).expect(422);
    await t.http.post(`${API}/requests/${r.id}/decisions`).set(bearer(w.probationOfficer.token)).send({ decision: 'approve', reason: 'x' }).expect(404);
    expect((await events(r.id)).map((e) => e.type)).toEqual(['request.created']);
    // A transaction that emits and then fails leaves neither the change nor the event.
    const host = t.app.get(TransactionHost);
    const outbox = t.app.get(DomainEventsService);
    await expect(
      t.app.get(ClsService).run(() =>
        host.withTransaction(async () => {
          await outbox.emit('request.revoked', { type: 'request', id: r.id }, [w.city.id], { requestId: r.id, status: 'revoked' });
          throw new Error('rolled back');
        }),
      ),
    ).rejects.toThrow('rolled back');
    expect((await events(r.id)).map((e) => e.type)).toEqual(['request.created']);
    await expect(outbox.emit('request.revoked', { type: 'request', id: r.id }, [w.city.id], {})).rejects.toThrow(/outside a transaction/);
  });

  it('tells the requester once, 24 h before, that its access window closes, and the municipality 30 days before its safeguards expire', async () => {
    clock.set(new Date('2027-04-01T01:00:00Z'));
    const r = await ask();
    const accessUntil = new Date(Date.now() + 3 * 86_400_000).toISOString();
    await t.http.post(`${API}/requests/${r.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'ok', accessUntil }).expect(200);
    clock.set(new Date(Date.parse(accessUntil) - 25 * 3_600_000));
    await expiry.notify();
    expect((await events(r.id)).map((e) => e.type)).not.toContain('request.access_ending');
    clock.set(new Date(Date.parse(accessUntil) - 23 * 3_600_000));
    await expiry.notify();
    await expiry.notify();
    const ending = (await events(r.id)).filter((e) => e.type === 'request.access_ending');
    expect(ending).toEqual([expect.objectContaining({ organization_ids: [w.city.id], data: expect.objectContaining({ requestId: r.id, accessUntil }) })]);

    const active = (await t.db.query(`SELECT id, valid_until FROM safeguards WHERE organization_id = $1 AND status = 'active'`, [w.city.id])).rows[0] as { id: string; valid_until: Date };
    clock.set(new Date(new Date(active.valid_until).getTime() - 31 * 86_400_000));
    await expiry.notify();
    clock.set(new Date(new Date(active.valid_until).getTime() - 29 * 86_400_000));
    await expiry.notify();
    await expiry.notify();
    const expiring = (await t.db.query(`SELECT type, organization_ids FROM domain_events WHERE subject_id = $1 AND type = 'safeguards.expiring'`, [active.id])).rows;
    expect(expiring).toEqual([{ type: 'safeguards.expiring', organization_ids: [w.city.id] }]);
  });
});
