import { Clock } from '../src/common/clock';
import type { StatisticsTable } from '../src/statistics/statistics.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { createStaff } from './support/factories';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

const DAY = 86_400_000;
const japanDate = (at: Date) => new Date(at.getTime() + 9 * 3_600_000).toISOString().slice(0, 10);

type Table = StatisticsTable;

/**
 * Statistics over requests made through the real API: 31 requests in three purposes, two
 * prefectures and one kind of holder, decided in two batches (the second after the deadline),
 * some retrieved. What the tables must show, with statisticsMinCell 10:
 *
 *   purpose                requests approvals rejections disclosures overdue  decided
 *   reintegration_support     14       11         3          10         7       14
 *   welfare_coordination      12       10         0           0        12       10
 *   ordinance_program          5        0         0           0         5        0
 *   total                     31       21         3          10        24       24
 */
describe('statistics', () => {
  let t: TestApp;
  let w: World;
  let clock: Clock;
  let auditor: string;
  let period: { from: string; to: string };

  const ask = async (token: string, recordRef: string, over: Record<string, unknown>) =>
    (await t.http.post(`${API}/requests`).set(bearer(token)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef }, over)).expect(201)).body.id as string;
  const decide = (id: string, decision: 'approve' | 'reject') =>
    t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.officer.token)).send({ decision, reason: decision === 'approve' ? '支援調整に必要' : '必要性が認められない' }).expect(200);
  const retrieve = (id: string) => t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(200);
  const stats = async (query: Record<string, string>) => (await t.http.get(`${API}/statistics`).query(query).set(bearer(auditor)).expect(200)).body as Table;

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    clock = t.app.get(Clock);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0].id as string;
    auditor = (await createStaff(t, w.admin, ministry, ['auditor'])).token;
    await activateSafeguards(t, w, w.cityToken);
    await activateSafeguards(t, w, w.otherCityToken);
    const osaka = (await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()).expect(201)).body.recordRef as string;
    const fukuoka = (
      await t.http
        .post(`${API}/release-records`)
        .set(bearer(w.facilityToken))
        .send(recordBody({ fullName: '統計 花子', plannedResidence: { address: '福岡県福岡市中央区架空1-1', localGovernmentCode: '401307' } }))
        .expect(201)
    ).body.recordRef as string;

    const rs: string[] = [];
    for (let i = 0; i < 14; i++) rs.push(await ask(w.cityToken, osaka, {}));
    const wc: string[] = [];
    for (let i = 0; i < 12; i++) wc.push(await ask(w.cityToken, osaka, { purpose: 'welfare_coordination' }));
    const op = { purpose: 'ordinance_program', categories: ['identity', 'release'] };
    for (let i = 0; i < 2; i++) await ask(w.cityToken, osaka, op);
    for (let i = 0; i < 3; i++) await ask(w.otherCityToken, fukuoka, op);

    // First batch, decided at once: 3 rejected, 4 approved and retrieved.
    for (const id of rs.slice(0, 3)) await decide(id, 'reject');
    for (const id of rs.slice(3, 7)) await decide(id, 'approve');
    for (const id of rs.slice(3, 7)) await retrieve(id);
    // Second batch, 20 days later (past the 10-business-day deadline): 7 + 10 approved, 6 retrieved.
    clock.set(new Date(Date.now() + 20 * DAY));
    for (const id of rs.slice(7)) await decide(id, 'approve');
    for (const id of rs.slice(7, 13)) await retrieve(id);
    for (const id of wc.slice(0, 10)) await decide(id, 'approve');
    period = { from: japanDate(new Date(Date.now() - DAY)), to: japanDate(clock.now()) };
  }, 180_000);
  afterAll(() => t.close());

  it('counts by purpose, suppresses small cells and their complements, and hides derived measures of hidden cells', async () => {
    const s = await stats({ ...period, groupBy: 'purpose' });
    expect(s).toMatchObject({ ...period, groupBy: 'purpose', minCell: 10 });
    expect(s.groups.map((g) => g.key)).toEqual(['reintegration_support', 'welfare_coordination', 'ordinance_program']);
    const [rs, wc, op] = s.groups as [Table['groups'][number], Table['groups'][number], Table['groups'][number]];
    expect(rs.label).toEqual({ ja: '社会復帰支援', en: 'Reintegration support' });
    // 5 ordinance requests are under 10; the smallest other count (12) is hidden with them, so the total (31) gives neither away.
    // 3 rejections are under 10; approvals (and with them disclosures) hide with them, so that
    // approvals + rejections ≤ requests gives neither away; 7 overdue hides the share.
    expect(rs).toMatchObject({ requests: 14, approvals: null, rejections: null, disclosures: null, shareOverdue: null });
    expect(rs.suppressed.sort()).toEqual(['approvals', 'disclosures', 'rejections', 'shareOverdue']);
    expect(rs.medianDaysToDecision).toBeGreaterThanOrEqual(9.9);
    expect(rs.medianDaysToDecision).toBeLessThanOrEqual(10.1);
    expect(wc).toMatchObject({ requests: null, approvals: 10, rejections: 0, disclosures: 0, medianDaysToDecision: null, shareOverdue: null });
    expect(wc.suppressed.sort()).toEqual(['medianDaysToDecision', 'requests', 'shareOverdue']);
    expect(op).toMatchObject({ requests: null, approvals: 0, rejections: 0, disclosures: 0, medianDaysToDecision: null, shareOverdue: null });
    expect(op.suppressed.sort()).toEqual(['requests', 'shareOverdue']);
    // The 3 rejections are alone in their column: the total is suppressed instead, and the totals linked to it.
    expect(s.total).toMatchObject({ requests: 31, approvals: null, rejections: null, disclosures: null, shareOverdue: Math.round((24 / 31) * 1000) / 1000 });
    expect(s.total.suppressed.sort()).toEqual(['approvals', 'disclosures', 'rejections']);
    expect(s.total.medianDaysToDecision).toBeGreaterThanOrEqual(19.9);
    expect(s.total.medianDaysToDecision).toBeLessThanOrEqual(20.1);
  });

  it('groups by the prefecture of the requester (all 47, by local government code) and by kind of holder', async () => {
    const p = await stats({ ...period, groupBy: 'prefecture' });
    expect(p.groups).toHaveLength(47);
    const osaka = p.groups.find((g) => g.key === '27')!;
    const fukuoka = p.groups.find((g) => g.key === '40')!;
    expect(osaka.label).toEqual({ ja: '大阪府', en: 'Osaka' });
    // 5 from Fukuoka is under 10, Osaka's 26 is its complement; Fukuoka's zeros are shown.
    expect(fukuoka).toMatchObject({ requests: null, approvals: 0, rejections: 0, disclosures: 0, medianDaysToDecision: null });
    expect(osaka).toMatchObject({ requests: null, approvals: null, rejections: null, disclosures: null, medianDaysToDecision: null, shareOverdue: null });
    expect(p.total).toMatchObject({ requests: 31, approvals: null, rejections: null, shareOverdue: Math.round((24 / 31) * 1000) / 1000 });
    expect(p.groups.filter((g) => g.key !== '27' && g.key !== '40').every((g) => g.requests === 0 && g.suppressed.length === 0)).toBe(true);

    const h = await stats({ ...period, groupBy: 'holder_kind' });
    expect(h.groups.map((g) => [g.key, g.requests, g.rejections])).toEqual([
      ['correctional_facility', 31, null],
      ['probation_office', 0, 0],
    ]);
    expect(h.groups[0]!.label.ja).toBe('矯正施設');
    expect(h.total.rejections).toBeNull();

    const m = await stats({ ...period, groupBy: 'month' });
    expect(m.total.requests).toBe(31);
    // every month of the period, empty ones included; all 31 were made this month (Japan time)
    expect(m.groups.map((g) => g.key)).toEqual([...new Set([period.from.slice(0, 7), period.to.slice(0, 7)])]);
    const made = (await t.db.query(`SELECT DISTINCT to_char(created_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS m FROM info_requests`)).rows;
    expect(made).toHaveLength(1);
    expect(m.groups.find((g) => g.key === made[0].m)).toMatchObject({ requests: 31, approvals: null, rejections: null, disclosures: null });
  });

  it('answers CSV for Accept: text/csv, with x for suppressed cells and a total line', async () => {
    const res = await t.http.get(`${API}/statistics`).query({ ...period, groupBy: 'purpose' }).set(bearer(auditor)).set('Accept', 'text/csv').expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="statistics-purpose-${period.from}-${period.to}.csv"`);
    const lines = res.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('key,labelJa,labelEn,requests,approvals,rejections,disclosures,medianDaysToDecision,shareOverdue');
    expect(lines).toHaveLength(5);
    expect(lines[1]).toMatch(/^"reintegration_support","社会復帰支援","Reintegration support",14,x,x,x,\d+(\.\d)?,x$/);
    expect(lines[2]).toBe('"welfare_coordination","福祉サービス等の利用調整","Welfare coordination",x,10,0,0,x,x');
    expect(lines[3]).toBe('"ordinance_program","条例に基づく施策","Ordinance-based programme",x,0,0,0,,x');
    expect(lines[4]).toMatch(new RegExp(`^"total","合計","Total",31,x,x,x,\\d+(\\.\\d)?,${Math.round((24 / 31) * 1000) / 1000}$`));
    // JSON stays the default
    const json = await t.http.get(`${API}/statistics`).query(period).set(bearer(auditor)).set('Accept', '*/*').expect(200);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('follows the policy minimum: with statisticsMinCell 1 nothing is suppressed', async () => {
    const before = t.config.policy.statisticsMinCell;
    t.config.policy.statisticsMinCell = 1;
    try {
      const s = await stats({ ...period, groupBy: 'purpose' });
      expect(s.minCell).toBe(1);
      expect(s.groups.map((g) => [g.requests, g.approvals, g.rejections, g.disclosures])).toEqual([
        [14, 11, 3, 10],
        [12, 10, 0, 0],
        [5, 0, 0, 0],
      ]);
      expect(s.groups.map((g) => g.shareOverdue)).toEqual([0.5, 1, 1]);
      expect(s.total.rejections).toBe(3);
    } finally {
      t.config.policy.statisticsMinCell = before;
    }
  });

  it('groups months in Japan time: a request made at 00:30 JST on 1 October counts in October', async () => {
    // Ten of the requests are moved to 2026-09-30T15:30Z (= 2026-10-01 00:30 JST), the others to 2026-09-30T14:30Z (23:30 JST).
    const ids = (await t.db.query(`SELECT id FROM info_requests ORDER BY created_at, id`)).rows.map((r: { id: string }) => r.id);
    await t.db.query(`UPDATE info_requests SET created_at = '2026-09-30T15:30:00Z' WHERE id = ANY($1)`, [ids.slice(0, 10)]);
    await t.db.query(`UPDATE info_requests SET created_at = '2026-09-30T14:30:00Z' WHERE id = ANY($1)`, [ids.slice(10)]);
    const s = await stats({ from: '2026-09-01', to: '2026-10-31', groupBy: 'month' });
    expect(s.groups.map((g) => [g.key, g.label.en, g.requests])).toEqual([
      ['2026-09', 'Sep 2026', 21],
      ['2026-10', 'Oct 2026', 10],
    ]);
    expect(s.groups[1]!.label.ja).toBe('2026年10月');
    // A period of one Japan day: 1 October holds the ten, and nothing else.
    const oneDay = await stats({ from: '2026-10-01', to: '2026-10-01', groupBy: 'holder_kind' });
    expect(oneDay.total.requests).toBe(10);
  });

  it('refuses bad queries with problem details, and everyone but auditors, reviewers and administrators', async () => {
    for (const query of [{ from: '2026-02-30' }, { groupBy: 'city' }, { from: '2026-05-01', to: '2026-04-30' }, { from: '2000-01-01', to: '2026-01-01' }, { unknown: '1' }]) {
      const res = await t.http.get(`${API}/statistics`).query(query).set(bearer(auditor));
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 400, type: expect.any(String), errors: expect.any(Array) });
    }
    await t.http.get(`${API}/statistics`).set(bearer(w.reviewer.token)).expect(200);
    await t.http.get(`${API}/statistics`).set(bearer(w.admin)).expect(200);
    for (const token of [w.officer.token, w.supervisor.token, w.cityToken, w.prefectureToken, w.facilityToken]) await t.http.get(`${API}/statistics`).set(bearer(token)).expect(403);
    await t.http.get(`${API}/statistics`).expect(401);
    // Each read is on record (counts only: no person in it).
    const events = (await t.db.query(`SELECT details FROM audit_events WHERE action = 'statistics.read' AND outcome = 'success'`)).rows;
    expect(events.length).toBeGreaterThanOrEqual(8);
    expect(events.some((e: { details: { format: string } }) => e.details.format === 'csv')).toBe(true);
  });
});
