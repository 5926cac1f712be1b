import type { Response } from 'supertest';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, safeguardsBody, World } from './support/exchange-fixtures';
import { clientToken, createClient, createOrg } from './support/factories';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/** A local government code with its check digit (全国地方公共団体コード), computed here independently of src/. */
function lgCode(firstFive: string): string {
  const sum = [6, 5, 4, 3, 2].reduce((acc, w, i) => acc + Number(firstFive[i]) * w, 0);
  return firstFive + String((11 - (sum % 11)) % 10);
}

const PROBLEM_KEYS = ['detail', 'instance', 'requestId', 'status', 'title', 'type'];

describe('refusals: every refused step answers problem details and leaves an audit event', () => {
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    await activateSafeguards(t, w, w.prefectureToken);
  });
  afterAll(async () => {
    await t?.close();
  });

  // ---------------------------------------------------------------- helpers

  function expectProblem(res: Response, status: number, slug: string): void {
    expect({ status: res.status, type: res.body.type }).toEqual({ status, type: expect.stringMatching(new RegExp(`/${slug}$`)) });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.status).toBe(status);
    expect(res.body.requestId).toEqual(expect.any(String));
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
  }

  interface AuditRow {
    action: string;
    outcome: string;
    reason_code: string | null;
    actor_type: string;
    actor_id: string | null;
    organization_id: string | null;
    resource_id: string | null;
    record_id: string | null;
  }

  /** The audit events written while handling one HTTP request. */
  async function eventsOf(res: Response): Promise<AuditRow[]> {
    const { rows } = await t.db.query<AuditRow>(
      `SELECT action, outcome, reason_code, actor_type, actor_id, organization_id, resource_id, record_id
         FROM audit_events WHERE request_id = $1 ORDER BY id`,
      [res.body.requestId ?? res.headers['x-request-id']],
    );
    return rows;
  }

  async function expectDeniedAudit(res: Response, reasonCode: string, extra: Partial<AuditRow> = {}): Promise<void> {
    expect(await eventsOf(res)).toEqual([expect.objectContaining({ outcome: 'denied', reason_code: reasonCode, ...extra })]);
  }

  async function record(over: Record<string, unknown> = {}): Promise<{ id: string; recordRef: string }> {
    const res = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody(over));
    expect(res.status).toBe(201);
    return { id: res.body.id, recordRef: res.body.recordRef };
  }

  const ask = (token: string, subject: Record<string, unknown>, over: Record<string, unknown> = {}, key = idemKey()) =>
    t.http.post(`${API}/requests`).set(bearer(token)).set('Idempotency-Key', key).send(requestBody(subject, over));

  const decide = (id: string, who: { token: string }, body: Record<string, unknown>) =>
    t.http.post(`${API}/requests/${id}/decisions`).set(bearer(who.token)).send({ reason: '同意書及び安全管理措置を確認', ...body });

  const retrieve = (id: string, token = w.cityToken) => t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(token));

  /** A fresh record and a fresh pending request about it by `token` (the city by default). */
  async function pending(over: Record<string, unknown> = {}, recordOver: Record<string, unknown> = {}, token = w.cityToken) {
    const rec = await record(recordOver);
    const res = await ask(token, { recordRef: rec.recordRef }, over);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('pending');
    return { id: res.body.id as string, recordId: rec.id, recordRef: rec.recordRef };
  }

  async function approved(decision: Record<string, unknown> = {}, token = w.cityToken, recordOver: Record<string, unknown> = {}) {
    const p = await pending({}, recordOver, token);
    const d = await decide(p.id, w.officer, { decision: 'approve', ...decision });
    expect(d.status).toBe(200);
    expect(d.body.status).toBe('approved');
    return p;
  }

  async function requestRow(id: string) {
    const { rows } = await t.db.query('SELECT status, retrievals FROM info_requests WHERE id = $1', [id]);
    return rows[0] as { status: string; retrievals: number };
  }

  const countRows = async (sql: string, params: unknown[]) => (await t.db.query(sql, params)).rows[0].n as number;
  const decisionsFor = (id: string) => countRows('SELECT count(*)::int AS n FROM decisions WHERE request_id = $1', [id]);
  const disclosuresFor = (id: string) => countRows('SELECT count(*)::int AS n FROM disclosures WHERE request_id = $1', [id]);

  /** Another municipality of Osaka prefecture, with a client token and (optionally) verified safeguards. */
  async function municipality(name: string, firstFive: string, active: boolean) {
    const code = lgCode(firstFive);
    const org = await createOrg(t, w.admin, { kind: 'municipality', name, localGovernmentCode: code, parentId: w.prefecture.id });
    const token = await clientToken(t, await createClient(t, w.admin, org.id));
    const safeguardId = active ? await activateSafeguards(t, w, token) : undefined;
    return { id: org.id, code, token, safeguardId };
  }

  const residenceIn = (code: string) => ({ plannedResidence: { address: '大阪府内の帰住予定地 1-1', localGovernmentCode: code } });

  // ---------------------------------------------------------------- requests

  describe('making a request', () => {
    it('refuses a municipality without safeguards, and still while they are only submitted, with 403 safeguards-not-active', async () => {
      const m = await municipality('池田市', '27205', false);
      const rec = await record(residenceIn(m.code));

      const none = await ask(m.token, { recordRef: rec.recordRef });
      expectProblem(none, 403, 'safeguards-not-active');
      await expectDeniedAudit(none, 'safeguards-not-active', { action: 'request.create', organization_id: m.id });

      const put = await t.http.put(`${API}/safeguards`).set(bearer(m.token)).send(safeguardsBody()).expect(201);
      expect(put.body.status).toBe('submitted');
      const submitted = await ask(m.token, { recordRef: rec.recordRef });
      expectProblem(submitted, 403, 'safeguards-not-active');
      await expectDeniedAudit(submitted, 'safeguards-not-active', { action: 'request.create', organization_id: m.id });
      expect(await countRows('SELECT count(*)::int AS n FROM info_requests WHERE requester_org_id = $1', [m.id])).toBe(0);

      // Once verified, the very same request goes through: the refusal was about the safeguards.
      await t.http.post(`${API}/safeguards/${put.body.id}/verify`).set(bearer(w.reviewer.token)).send({}).expect(200);
      const ok = await ask(m.token, { recordRef: rec.recordRef });
      expect(ok.status).toBe(201);
    });

    it('refuses a category the purpose does not allow (offense for reintegration_support) with 422 category-not-allowed', async () => {
      const rec = await record();
      const res = await ask(w.cityToken, { recordRef: rec.recordRef }, { purpose: 'reintegration_support', categories: ['identity', 'offense'] });
      expectProblem(res, 422, 'category-not-allowed');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'categories', message: expect.stringContaining('offense') })]);
      await expectDeniedAudit(res, 'category-not-allowed', { action: 'request.create', organization_id: w.city.id });
      expect(await countRows('SELECT count(*)::int AS n FROM info_requests WHERE record_id = $1', [rec.id])).toBe(0);
    });

    it('answers a subject outside the jurisdiction exactly like one that does not exist (422 subject-not-found)', async () => {
      const fukuoka = await record({ fullName: '遠方 三郎', fullNameKana: 'エンポウ サブロウ', birthDate: '1985-05-05', plannedResidence: { address: '福岡県福岡市博多区博多駅前1-1', localGovernmentCode: '401307' } });

      const outsideByRef = await ask(w.cityToken, { recordRef: fukuoka.recordRef });
      const missingByRef = await ask(w.cityToken, { recordRef: 'R-0000000000' });
      const outsideByName = await ask(w.cityToken, { fullName: '遠方 三郎', birthDate: '1985-05-05' });
      const missingByName = await ask(w.cityToken, { fullName: '不在 四郎', birthDate: '1985-05-05' });

      const answers = [outsideByRef, missingByRef, outsideByName, missingByName];
      for (const res of answers) {
        expectProblem(res, 422, 'subject-not-found');
        await expectDeniedAudit(res, 'subject-not-found', { action: 'request.create', organization_id: w.city.id });
      }
      const strip = (b: Record<string, unknown>) => {
        const { requestId: _r, instance: _i, ...rest } = b;
        return rest;
      };
      for (const res of answers.slice(1)) {
        expect(Object.keys(res.body).sort()).toEqual(Object.keys(outsideByRef.body).sort());
        expect(strip(res.body)).toEqual(strip(outsideByRef.body));
        expect(res.headers['content-type']).toBe(outsideByRef.headers['content-type']);
      }
      expect(JSON.stringify(outsideByRef.body)).not.toContain(fukuoka.recordRef);
      expect(JSON.stringify(outsideByName.body)).not.toContain('遠方');

      // The record does exist: Fukuoka City itself, once verified, reaches it.
      await activateSafeguards(t, w, w.otherCityToken);
      const fromFukuoka = await ask(w.otherCityToken, { recordRef: fukuoka.recordRef });
      expect(fromFukuoka.status).toBe(201);
    });

    it('lets a prefecture (大阪府 270008) reach a record in one of its municipalities, and not one in another prefecture', async () => {
      const inOsakaCity = await record({ fullName: '府内 五郎', birthDate: '1979-09-09' });
      const inSakai = await record(residenceIn('271403'));
      const inFukuoka = await record({ plannedResidence: { address: '福岡県福岡市中央区天神1-1', localGovernmentCode: '401307' } });

      const byRef = await ask(w.prefectureToken, { recordRef: inOsakaCity.recordRef });
      expect(byRef.status).toBe(201);
      expect(byRef.body.status).toBe('pending');
      const byName = await ask(w.prefectureToken, { fullName: '府内 五郎', birthDate: '1979-09-09' });
      expect(byName.status).toBe(201);
      expect((await ask(w.prefectureToken, { recordRef: inSakai.recordRef })).status).toBe(201);

      const outside = await ask(w.prefectureToken, { recordRef: inFukuoka.recordRef });
      expectProblem(outside, 422, 'subject-not-found');
      await expectDeniedAudit(outside, 'subject-not-found', { organization_id: w.prefecture.id });
    });

    it('does not refuse a subject in the jurisdiction because newer namesakes live elsewhere', async () => {
      // Same name and birth date: five newer releases planned for Fukuoka, one older for Osaka City.
      const person = { fullName: '同名 六郎', fullNameKana: 'ドウメイ ロクロウ', birthDate: '1977-07-17' };
      for (let i = 0; i < 5; i++) await record({ ...person, releaseDate: `2027-0${i + 1}-10`, plannedResidence: { address: '福岡県福岡市東区1-1', localGovernmentCode: '401307' } });
      const inOsaka = await record({ ...person, releaseDate: '2026-06-10' });
      const res = await ask(w.cityToken, { fullName: person.fullName, birthDate: person.birthDate });
      expect(res.status).toBe(201);
      const routed = await t.db.query('SELECT record_id FROM info_requests WHERE id = $1', [res.body.id]);
      expect(routed.rows[0].record_id).toBe(inOsaka.id);
    });

    it('answers the same Idempotency-Key with another body 409 idempotency-key-reused and no key 400, creating one request only', async () => {
      const rec = await record();
      const key = idemKey();
      const first = await ask(w.cityToken, { recordRef: rec.recordRef }, {}, key);
      expect(first.status).toBe(201);

      const reused = await ask(w.cityToken, { recordRef: rec.recordRef }, { justification: '別の理由による依頼' }, key);
      expectProblem(reused, 409, 'idempotency-key-reused');

      const noKey = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).send(requestBody({ recordRef: rec.recordRef }));
      expectProblem(noKey, 400, 'idempotency-key-required');
      expect(noKey.body.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);

      expect(await countRows('SELECT count(*)::int AS n FROM info_requests WHERE record_id = $1', [rec.id])).toBe(1);
      expect(await countRows('SELECT count(*)::int AS n FROM info_requests WHERE requester_org_id = $1 AND idempotency_key = $2', [w.city.id, key])).toBe(1);
      // What is recorded: one request.create success (the first); the conflicting attempts created nothing.
      const created = await t.db.query(`SELECT request_id FROM audit_events WHERE action = 'request.create' AND outcome = 'success' AND record_id = $1`, [rec.id]);
      expect(created.rows).toEqual([{ request_id: first.headers['x-request-id'] }]);
      expect((await eventsOf(reused)).filter((e) => e.outcome === 'success')).toEqual([]);
      expect((await eventsOf(noKey)).filter((e) => e.outcome === 'success')).toEqual([]);
    });

    it('lets the requester withdraw a pending request; a later decision is 409 request-already-decided', async () => {
      const p = await pending();
      const withdrawn = await t.http.post(`${API}/requests/${p.id}/withdraw`).set(bearer(w.cityToken)).send({ reason: '対象者本人と直接連絡が取れたため' });
      expect(withdrawn.status).toBe(200);
      expect(withdrawn.body).toMatchObject({ id: p.id, status: 'withdrawn' });
      expect(await eventsOf(withdrawn)).toEqual([expect.objectContaining({ action: 'request.withdraw', outcome: 'success', resource_id: p.id, record_id: p.recordId })]);

      const late = await decide(p.id, w.officer, { decision: 'approve' });
      expectProblem(late, 409, 'request-already-decided');
      // A state conflict changes nothing and records no success.
      expect((await eventsOf(late)).filter((e) => e.outcome === 'success')).toEqual([]);
      expect(await decisionsFor(p.id)).toBe(0);
      expect((await requestRow(p.id)).status).toBe('withdrawn');

      const again = await t.http.post(`${API}/requests/${p.id}/withdraw`).set(bearer(w.cityToken)).send({});
      expect(again.status).toBe(409);
      expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    });
  });

  // ---------------------------------------------------------------- visibility

  describe('another municipality', () => {
    it('gets 404 with no data for another municipality’s request and its disclosure', async () => {
      const p = await approved();
      const unknownId = '00000000-0000-4000-8000-000000000000';

      const read = await t.http.get(`${API}/requests/${p.id}`).set(bearer(w.otherCityToken));
      const readUnknown = await t.http.get(`${API}/requests/${unknownId}`).set(bearer(w.otherCityToken));
      const disclosure = await retrieve(p.id, w.otherCityToken);
      const disclosureUnknown = await retrieve(unknownId, w.otherCityToken);

      for (const [res, other] of [
        [read, readUnknown],
        [disclosure, disclosureUnknown],
      ] as const) {
        expectProblem(res, 404, 'not-found');
        expect(Object.keys(res.body).sort()).toEqual(PROBLEM_KEYS);
        expect(res.body).not.toHaveProperty('data');
        const text = JSON.stringify(res.body);
        for (const v of ['法務 太郎', '1980-04-01', '架空町', p.recordRef, p.recordId]) expect(text).not.toContain(v);
        // Exactly what a request id that does not exist answers.
        expect({ ...res.body, requestId: 'x', instance: 'x' }).toEqual({ ...other.body, requestId: 'x', instance: 'x' });
      }
      // Nothing was counted or disclosed, and the owner still retrieves.
      expect(await requestRow(p.id)).toEqual({ status: 'approved', retrievals: 0 });
      expect(await disclosuresFor(p.id)).toBe(0);
      expect((await retrieve(p.id)).status).toBe(200);
    });

    it('leaves an audit event of another municipality’s refused attempt to read a request and retrieve its disclosure', async () => {
      const p = await approved();
      const read = await t.http.get(`${API}/requests/${p.id}`).set(bearer(w.otherCityToken));
      const disclosure = await retrieve(p.id, w.otherCityToken);
      expect([read.status, disclosure.status]).toEqual([404, 404]);
      // Contract: "every refused attempt is an audit event".
      await expectDeniedAudit(read, expect.any(String) as unknown as string, { organization_id: w.otherCity.id });
      await expectDeniedAudit(disclosure, expect.any(String) as unknown as string, { organization_id: w.otherCity.id });
    });
  });

  // ---------------------------------------------------------------- decisions

  describe('deciding', () => {
    it('refuses the requesting municipality deciding its own request (403)', async () => {
      const p = await pending();
      const res = await decide(p.id, { token: w.cityToken }, { decision: 'approve' });
      expectProblem(res, 403, 'insufficient-permission');
      await expectDeniedAudit(res, 'insufficient-permission', { organization_id: w.city.id });
      expect(await decisionsFor(p.id)).toBe(0);
      expect((await requestRow(p.id)).status).toBe('pending');
    });

    it('needs a second approval by a different supervisor for a sensitive category (offense), then discloses it', async () => {
      const rec = await record({ offense: { category: 'sexual_offense_against_child', sentenceType: '拘禁刑', sentenceTerm: '3年', sentenceEndDate: '2026-10-31' } });
      const created = await ask(
        w.cityToken,
        { recordRef: rec.recordRef },
        { purpose: 'ordinance_program', categories: ['identity', 'residence', 'offense'], legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例 第17条に基づく社会復帰支援' } },
      );
      expect(created.status).toBe(201);
      const id = created.body.id as string;

      const first = await decide(id, w.supervisor, { decision: 'approve' });
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('awaiting_second_approval');
      const early = await retrieve(id);
      expectProblem(early, 403, 'not-approved');

      const same = await decide(id, w.supervisor, { decision: 'approve' });
      expectProblem(same, 403, 'second-approval-rules');
      await expectDeniedAudit(same, 'second-approval-rules', { action: 'request.decide', actor_id: w.supervisor.id, resource_id: id });

      const officer = await decide(id, w.officer, { decision: 'approve' });
      expectProblem(officer, 403, 'second-approval-rules');
      await expectDeniedAudit(officer, 'second-approval-rules', { action: 'request.decide', actor_id: w.officer.id, resource_id: id });
      expect((await requestRow(id)).status).toBe('awaiting_second_approval');

      const second = await decide(id, w.supervisor2, { decision: 'approve' });
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ status: 'approved', approvedCategories: ['identity', 'residence', 'offense'] });
      const stages = await t.db.query('SELECT stage, decided_by FROM decisions WHERE request_id = $1 ORDER BY stage', [id]);
      expect(stages.rows).toEqual([
        { stage: 1, decided_by: w.supervisor.id },
        { stage: 2, decided_by: w.supervisor2.id },
      ]);

      const got = await retrieve(id);
      expect(got.status).toBe(200);
      expect(got.body.categories).toEqual(['identity', 'residence', 'offense']);
      expect(got.body.data.offense).toEqual({ category: 'sexual_offense_against_child', sentenceType: '拘禁刑', sentenceTerm: '3年', sentenceEndDate: '2026-10-31' });
    });

    it('refuses an approval that widens the requested categories with 422 categories-widened', async () => {
      const p = await pending({ categories: ['identity', 'residence'] });
      const res = await decide(p.id, w.officer, { decision: 'approve', categories: ['identity', 'residence', 'release'] });
      expectProblem(res, 422, 'categories-widened');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'categories' })]);
      expect(await decisionsFor(p.id)).toBe(0);
      expect((await requestRow(p.id)).status).toBe('pending');
      // Narrowing is fine.
      const narrowed = await decide(p.id, w.officer, { decision: 'approve', categories: ['identity'] });
      expect(narrowed.status).toBe(200);
      expect(narrowed.body.approvedCategories).toEqual(['identity']);
      await expectDeniedAudit(res, 'categories-widened', { action: 'request.decide', actor_id: w.officer.id, resource_id: p.id });
    });

    it('refuses an access window or a retrieval count beyond the configured maximum with 422', async () => {
      const limits = t.config.policy.limits;
      const p = await pending();
      const tooLong = new Date(Date.now() + (limits.maxAccessWindowDays + 1) * 86_400_000).toISOString();
      const longWindow = await decide(p.id, w.officer, { decision: 'approve', accessUntil: tooLong });
      expectProblem(longWindow, 422, 'approval-limit-exceeded');
      expect(longWindow.body.errors).toEqual([expect.objectContaining({ field: 'accessUntil' })]);

      const manyRetrievals = await decide(p.id, w.officer, { decision: 'approve', maxRetrievals: limits.maxRetrievals + 1 });
      expectProblem(manyRetrievals, 422, 'approval-limit-exceeded');
      expect(manyRetrievals.body.errors).toEqual([expect.objectContaining({ field: 'maxRetrievals' })]);

      expect(await decisionsFor(p.id)).toBe(0);
      expect((await requestRow(p.id)).status).toBe('pending');
      // The maximum itself is accepted.
      const atMax = new Date(Date.now() + limits.maxAccessWindowDays * 86_400_000 - 60_000).toISOString();
      const ok = await decide(p.id, w.officer, { decision: 'approve', accessUntil: atMax, maxRetrievals: limits.maxRetrievals });
      expect(ok.status).toBe(200);

      await expectDeniedAudit(longWindow, 'approval-limit-exceeded', { action: 'request.decide', resource_id: p.id });
      await expectDeniedAudit(manyRetrievals, 'approval-limit-exceeded', { action: 'request.decide', resource_id: p.id });
    });

    it('gives exactly one of two simultaneous decisions 200 and the other 409 request-already-decided (5 races)', async () => {
      for (let round = 0; round < 5; round++) {
        const p = await pending();
        const [a, b] = await Promise.all([
          decide(p.id, w.officer, { decision: 'approve', reason: `担当官の判断 ${round}` }),
          decide(p.id, w.supervisor, { decision: round % 2 ? 'reject' : 'approve', reason: `上席の判断 ${round}` }),
        ]);
        const statuses = [a.status, b.status].sort();
        expect(statuses).toEqual([200, 409]);
        const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
        expectProblem(loser, 409, 'request-already-decided');
        expect(await decisionsFor(p.id)).toBe(1);
        const row = await requestRow(p.id);
        expect(row.status).toBe(winner.body.status);
        // What is recorded: the winner's state change only.
        const changes = await t.db.query(
          `SELECT request_id FROM audit_events WHERE resource_id = $1 AND action IN ('request.approve', 'request.approve.first', 'request.reject') AND outcome = 'success'`,
          [p.id],
        );
        expect(changes.rows).toEqual([{ request_id: winner.headers['x-request-id'] }]);
        expect((await eventsOf(loser)).filter((e) => e.outcome === 'success')).toEqual([]);
      }
    });
  });

  // ---------------------------------------------------------------- disclosure

  describe('retrieving a disclosure', () => {
    it('refuses before approval (pending, rejected) with 403 not-approved', async () => {
      const p = await pending();
      const res = await retrieve(p.id);
      expectProblem(res, 403, 'not-approved');
      expect(res.body).not.toHaveProperty('data');
      await expectDeniedAudit(res, 'not-approved', { action: 'disclosure.retrieve', resource_id: p.id, organization_id: w.city.id });

      await decide(p.id, w.officer, { decision: 'reject', reason: '同意の範囲外' }).expect(200);
      const rejected = await retrieve(p.id);
      expectProblem(rejected, 403, 'not-approved');
      await expectDeniedAudit(rejected, 'not-approved', { action: 'disclosure.retrieve', resource_id: p.id });
      expect(await disclosuresFor(p.id)).toBe(0);
    });

    it('refuses after revocation with 403 approval-revoked', async () => {
      const p = await approved();
      expect((await retrieve(p.id)).status).toBe(200);
      const revoked = await t.http.post(`${API}/requests/${p.id}/revoke`).set(bearer(w.officer.token)).send({ reason: '同意の撤回' });
      expect(revoked.status).toBe(200);
      expect(revoked.body.status).toBe('revoked');

      const res = await retrieve(p.id);
      expectProblem(res, 403, 'approval-revoked');
      expect(res.body).not.toHaveProperty('data');
      await expectDeniedAudit(res, 'approval-revoked', { action: 'disclosure.retrieve', resource_id: p.id, record_id: p.recordId, organization_id: w.city.id });
      expect(await requestRow(p.id)).toEqual({ status: 'revoked', retrievals: 1 });
    });

    it('refuses after the access window with 403 access-window-closed', async () => {
      const p = await approved();
      await t.db.query(`UPDATE info_requests SET access_until = now() - interval '1 minute' WHERE id = $1`, [p.id]);
      const res = await retrieve(p.id);
      expectProblem(res, 403, 'access-window-closed');
      expect(res.body).not.toHaveProperty('data');
      await expectDeniedAudit(res, 'access-window-closed', { action: 'disclosure.retrieve', resource_id: p.id, record_id: p.recordId });
      expect((await requestRow(p.id)).retrievals).toBe(0);
      expect(await disclosuresFor(p.id)).toBe(0);
    });

    it('refuses past the retrieval limit with 403 retrievals-exhausted', async () => {
      const p = await approved({ maxRetrievals: 1 });
      const ok = await retrieve(p.id);
      expect(ok.status).toBe(200);
      expect(ok.body.retrievalsLeft).toBe(0);
      const res = await retrieve(p.id);
      expectProblem(res, 403, 'retrievals-exhausted');
      expect(res.body).not.toHaveProperty('data');
      await expectDeniedAudit(res, 'retrievals-exhausted', { action: 'disclosure.retrieve', resource_id: p.id });
      expect(await requestRow(p.id)).toEqual({ status: 'exhausted', retrievals: 1 });
      expect(await disclosuresFor(p.id)).toBe(1);
    });

    it('refuses once the reviewer suspends the municipality’s safeguards with 403 safeguards-not-active', async () => {
      const m = await municipality('豊中市', '27203', true);
      const p = await approved({}, m.token, residenceIn(m.code));
      expect((await retrieve(p.id, m.token)).status).toBe(200);

      const suspended = await t.http.post(`${API}/safeguards/${m.safeguardId}/suspend`).set(bearer(w.reviewer.token)).send({ reason: '漏えい事案の調査中' });
      expect(suspended.status).toBe(200);
      expect(suspended.body.status).toBe('suspended');

      const res = await retrieve(p.id, m.token);
      expectProblem(res, 403, 'safeguards-not-active');
      expect(res.body).not.toHaveProperty('data');
      await expectDeniedAudit(res, 'safeguards-not-active', { action: 'disclosure.retrieve', resource_id: p.id, organization_id: m.id });
      expect(await requestRow(p.id)).toEqual({ status: 'approved', retrievals: 1 });
    });

    it('returns nothing when the disclosure’s audit event cannot be written (500, no count, no disclosure row)', async () => {
      const p = await approved({}, w.cityToken, { fullName: '監査 失敗子', fullNameKana: 'カンサ シッパイコ', birthDate: '1966-06-16', plannedResidence: { address: '大阪府大阪市北区監査町6-6-6', localGovernmentCode: '271004' } });
      await t.db.query(`
        CREATE OR REPLACE FUNCTION test_fail_disclosure_audit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.action = 'disclosure.retrieve' THEN RAISE EXCEPTION 'test: audit store unavailable'; END IF;
          RETURN NEW;
        END $$`);
      await t.db.query(`CREATE TRIGGER test_fail_disclosure_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION test_fail_disclosure_audit()`);
      let res: Response;
      try {
        res = await retrieve(p.id);
      } finally {
        await t.db.query('DROP TRIGGER IF EXISTS test_fail_disclosure_audit ON audit_events');
        await t.db.query('DROP FUNCTION IF EXISTS test_fail_disclosure_audit()');
      }
      expectProblem(res, 500, 'internal');
      expect(res.body).not.toHaveProperty('data');
      expect(res.body).not.toHaveProperty('receipt');
      const text = JSON.stringify(res.body) + JSON.stringify(res.headers);
      for (const v of ['監査 失敗子', 'カンサ', '1966-06-16', '監査町', 'test: audit store unavailable', 'audit_events', 'INSERT']) expect(text).not.toContain(v);
      expect(await requestRow(p.id)).toEqual({ status: 'approved', retrievals: 0 });
      expect(await disclosuresFor(p.id)).toBe(0);

      const after = await retrieve(p.id);
      expect(after.status).toBe(200);
      expect(after.body.data.identity.fullName).toBe('監査 失敗子');
      expect(await requestRow(p.id)).toEqual({ status: 'approved', retrievals: 1 });
    });
  });

  // ---------------------------------------------------------------- safeguards and records

  describe('registering safeguards', () => {
    it('refuses a registration missing measures with 422 naming every missing code', async () => {
      const before = await countRows('SELECT count(*)::int AS n FROM safeguards WHERE organization_id = $1', [w.city.id]);
      const body = safeguardsBody();
      body.measures = {
        ...body.measures,
        organizational: body.measures.organizational.filter((c) => c !== 'internal_audit'),
        technical: body.measures.technical.filter((c) => c !== 'closed_network' && c !== 'encryption'),
      };
      const res = await t.http.put(`${API}/safeguards`).set(bearer(w.cityToken)).send(body);
      expectProblem(res, 422, 'safeguard-measures-incomplete');
      const messages = (res.body.errors as { field: string; message: string }[]).map((e) => e.message).join(' | ');
      for (const code of ['internal_audit', 'closed_network', 'encryption']) expect(messages).toContain(code);
      expect(res.body.errors).toHaveLength(3);
      expect(await countRows('SELECT count(*)::int AS n FROM safeguards WHERE organization_id = $1', [w.city.id])).toBe(before);
      await expectDeniedAudit(res, 'safeguard-measures-incomplete', { organization_id: w.city.id });
    });

    it('refuses the ordinance_program purpose on a statute legal basis with 422', async () => {
      const res = await t.http
        .put(`${API}/safeguards`)
        .set(bearer(w.cityToken))
        .send(safeguardsBody({ legalBasis: { kind: 'statute', title: '再犯の防止等の推進に関する法律', article: '第24条', appiGround: 'statutory_duty' } }));
      expectProblem(res, 422, 'ordinance-required');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'legalBasis.kind' })]);
      await expectDeniedAudit(res, 'ordinance-required', { organization_id: w.city.id });
    });
  });

  describe('importing records', () => {
    it('imports a CSV with dotted columns, reporting per line and storing only the good rows', async () => {
      const stamp = Date.now().toString(36);
      const refs = [`CSV-${stamp}-1`, `CSV-${stamp}-2`, `CSV-${stamp}-3`];
      const csv = [
        'externalRef,fullName,fullNameKana,birthDate,sex,releaseDate,releaseType,plannedResidence.address,plannedResidence.localGovernmentCode,supportNeeds.needs',
        `${refs[0]},取込 一郎,トリコミ イチロウ,1982-01-11,male,2026-12-01,parole,大阪府大阪市北区1-1,271004,housing;employment`,
        `${refs[1]},取込 二郎,トリコミ ジロウ,1983-02-12,male,2026-12-02,parole,大阪府大阪市北区2-2,271005,housing`,
        `${refs[2]},取込 三子,トリコミ ミツコ,1984-03-13,female,2026-12-03,sentence_completed,大阪府堺市堺区3-3,271403,medical`,
      ].join('\n');
      const res = await t.http.post(`${API}/release-records/import`).set(bearer(w.facilityToken)).set('Content-Type', 'text/csv').send(csv);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ accepted: 2, rejected: 1 });
      expect(res.body.lines).toEqual([
        expect.objectContaining({ line: 2, status: 'created', id: expect.any(String) }),
        { line: 3, status: 'rejected', errors: [expect.objectContaining({ field: 'plannedResidence.localGovernmentCode' })] },
        expect.objectContaining({ line: 4, status: 'created', id: expect.any(String) }),
      ]);

      const stored = await t.db.query(
        'SELECT external_ref, residence_code, support_needs, support_needs_enc IS NOT NULL AS sealed FROM release_records WHERE external_ref = ANY($1) ORDER BY external_ref',
        [refs],
      );
      expect(stored.rows).toEqual([
        { external_ref: refs[0], residence_code: '271004', support_needs: null, sealed: true },
        { external_ref: refs[2], residence_code: '271403', support_needs: null, sealed: true },
      ]);
      const read = async (id: string) => (await t.http.get(`${API}/release-records/${id}`).set(bearer(w.officer.token)).expect(200)).body;
      expect((await read(res.body.lines[0].id)).supportNeeds).toEqual({ needs: ['housing', 'employment'] });
      expect((await read(res.body.lines[2].id)).supportNeeds).toEqual({ needs: ['medical'] });
      const events = await eventsOf(res);
      expect(events.filter((e) => e.action === 'record.create').map((e) => e.record_id).sort()).toEqual([res.body.lines[0].id, res.body.lines[2].id].sort());
      expect(events).toContainEqual(expect.objectContaining({ action: 'record.import', outcome: 'success' }));
    });
  });

  // ---------------------------------------------------------------- the audit table itself

  describe('the audit table', () => {
    it('is append-only for the service’s database role: UPDATE and DELETE are rejected', async () => {
      const before = await t.db.query('SELECT count(*)::int AS n, max(id)::text AS last FROM audit_events');
      expect(before.rows[0].n).toBeGreaterThan(0);
      await expect(t.db.query(`UPDATE audit_events SET action = 'x'`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`UPDATE audit_events SET action = 'x' WHERE id = $1`, [before.rows[0].last])).rejects.toThrow(/append-only/);
      await expect(t.db.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
      await expect(t.db.query('DELETE FROM audit_events WHERE id = $1', [before.rows[0].last])).rejects.toThrow(/append-only/);
      const after = await t.db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE action = 'x')::int AS changed FROM audit_events WHERE id <= $1`, [before.rows[0].last]);
      expect(after.rows[0]).toEqual({ n: before.rows[0].n, changed: 0 });
    });
  });
});
