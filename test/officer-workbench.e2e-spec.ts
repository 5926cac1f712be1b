import { DataSource } from 'typeorm';
import { RequestReferenceAndAssignment1765400000000 } from '../migrations/1765400000000-RequestReferenceAndAssignment';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { consoleSignIn, ConsoleSession, csrfFrom, SESSION_COOKIE } from './support/authz-console';
import { createStaff } from './support/factories';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/**
 * The officer's workbench through the real HTTP stack: reference numbers, taking a request (two at
 * once: one wins), the decision only on confirmation, the consent check audited as a read of the
 * record, and /favicon.ico.
 */
describe('officer workbench', () => {
  let t: TestApp;
  let w: World;
  let recordRef: string;
  let recordId: string;

  beforeAll(async () => {
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    const rec = await t.http
      .post(`${API}/release-records`)
      .set(bearer(w.facilityToken))
      .send(
        recordBody({
          fullName: '照合 一郎',
          birthDate: '1975-07-07',
          consents: [{ recipientOrganizationId: w.city.id, purposes: ['reintegration_support'], categories: ['identity', 'residence'], signedOn: '2026-01-10' }],
        }),
      )
      .expect(201);
    recordRef = rec.body.recordRef;
    recordId = rec.body.id;
  });
  afterAll(() => t.close());

  const newRequest = async (): Promise<{ id: string; reference: string }> => {
    const res = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef })).expect(201);
    return res.body as { id: string; reference: string };
  };
  const officer = async (roles: string[] = ['case_officer']) => {
    const staff = await createStaff(t, w.admin, w.facility.id, roles);
    return { ...staff, session: await consoleSignIn(t, staff) };
  };
  const post = (s: ConsoleSession, path: string, form: Record<string, string | string[]> = {}) =>
    t.http.post(path).set('Cookie', `${SESSION_COOKIE}=${s.cookie}`).type('form').send({ _csrf: s.csrf, ...form });
  const get = (s: ConsoleSession, path: string) => t.http.get(path).set('Cookie', `${SESSION_COOKIE}=${s.cookie}`);
  const assignedTo = async (id: string) => (await t.db.query(`SELECT assigned_to FROM info_requests WHERE id = $1`, [id])).rows[0].assigned_to as string | null;
  const statusOf = async (id: string) => (await t.db.query(`SELECT status FROM info_requests WHERE id = $1`, [id])).rows[0].status as string;

  it('gives every request a unique short reference, shown to the requester and the holder', async () => {
    const made = await Promise.all(Array.from({ length: 12 }, () => newRequest()));
    const refs = made.map((r) => r.reference);
    for (const r of refs) expect(r).toMatch(/^REQ-\d{6,}$/);
    expect(new Set(refs).size).toBe(refs.length);
    const one = made[0]!;
    expect((await t.http.get(`${API}/requests/${one.id}`).set(bearer(w.cityToken)).expect(200)).body.reference).toBe(one.reference);
    const holder = (await t.http.get(`${API}/requests/${one.id}`).set(bearer(w.officer.token)).expect(200)).body;
    expect(holder).toMatchObject({ reference: one.reference, assignment: null });
    const listed = (await t.http.get(`${API}/requests?limit=50`).set(bearer(w.officer.token)).expect(200)).body.items as { id: string; reference: string }[];
    expect(listed.find((i) => i.id === one.id)?.reference).toBe(one.reference);
    // The database keeps them unique whatever writes them.
    await expect(t.db.query(`UPDATE info_requests SET reference = $1 WHERE id = $2`, [made[1]!.reference, one.id])).rejects.toThrow(/info_requests_reference_key/);
  });

  it('lets exactly one of two officers taking a request at once have it, and audits both', async () => {
    const { id } = await newRequest();
    const [a, b] = await Promise.all([officer(), officer()]);
    const answers = await Promise.all([post(a.session, `/console/requests/${id}/take`), post(b.session, `/console/requests/${id}/take`)]);
    const locations = answers.map((r) => String(r.headers.location));
    expect(answers.map((r) => r.status)).toEqual([303, 303]);
    expect(locations.filter((l) => l.endsWith('done=taken'))).toHaveLength(1);
    expect(locations.filter((l) => /[?]e=taken$/.test(l))).toHaveLength(1);
    const winner = locations[0]!.endsWith('done=taken') ? a : b;
    const loser = winner === a ? b : a;
    expect(await assignedTo(id)).toBe(winner.id);
    const events = (await t.db.query(`SELECT action, outcome, actor_id, reason_code FROM audit_events WHERE resource_id = $1 AND action = 'request.assign' ORDER BY id`, [id])).rows;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ outcome: 'success', actor_id: winner.id }),
        expect.objectContaining({ outcome: 'denied', actor_id: loser.id, reason_code: 'request-already-assigned' }),
      ]),
    );
    // The other officer sees who has it, cannot release it, and cannot decide it.
    const page = await get(loser.session, `/console/requests/${id}`).expect(200);
    expect(page.text).toContain(`担当: 職員`);
    expect(page.text).toContain('id="assigned-warn"');
    expect(page.text).not.toContain(`/console/requests/${id}/decide`);
    expect((await post(loser.session, `/console/requests/${id}/release`)).headers.location).toBe(`/console/requests/${id}?e=forbidden`);
    const refused = await post(loser.session, `/console/requests/${id}/decide`, { step: 'confirm', decision: 'reject', reason: '担当外' });
    expect(refused.headers.location).toBe(`/console/requests/${id}?e=taken`);
    expect(await statusOf(id)).toBe('pending');
    // The queue shows it taken; "mine" lists it for the winner only.
    const mine = await get(winner.session, '/console/queue?assigned=me').expect(200);
    expect(mine.text).toContain(`/console/requests/${id}"`);
    expect((await get(loser.session, '/console/queue?assigned=me').expect(200)).text).not.toContain(`/console/requests/${id}"`);
    expect((await get(loser.session, '/console/queue?assigned=unassigned').expect(200)).text).not.toContain(`/console/requests/${id}"`);
    // The winner releases it; then the other may take it.
    expect((await post(winner.session, `/console/requests/${id}/release`)).headers.location).toBe(`/console/requests/${id}?done=released`);
    expect(await assignedTo(id)).toBeNull();
    expect((await post(loser.session, `/console/requests/${id}/take`)).headers.location).toBe(`/console/requests/${id}?done=taken`);
    expect(await assignedTo(id)).toBe(loser.id);
    const released = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE resource_id = $1 AND action = 'request.unassign' AND outcome = 'success'`, [id]);
    expect(released.rows[0].n).toBe(1);
  });

  it('lets a supervisor decide a request another officer has taken, after a warning, and release it', async () => {
    const { id } = await newRequest();
    const [taker, sup] = await Promise.all([officer(), officer(['supervisor'])]);
    await post(taker.session, `/console/requests/${id}/take`).expect(303);
    const page = await get(sup.session, `/console/requests/${id}`).expect(200);
    expect(page.text).toContain('id="assigned-warn"');
    expect(page.text).toContain(`/console/requests/${id}/decide`);
    const summary = await post(sup.session, `/console/requests/${id}/decide`, { decision: 'reject', reason: '上席判断' }).expect(200);
    expect(summary.text).toContain('この内容で決裁する');
    expect(summary.text).toContain('上席として決裁できます');
    expect((await post(sup.session, `/console/requests/${id}/release`)).headers.location).toBe(`/console/requests/${id}?done=released`);
  });

  it('decides nothing until the summary is confirmed, and goes back with what was entered', async () => {
    const { id, reference } = await newRequest();
    const o = await officer();
    const form = { decision: 'approve', categories: ['identity', 'residence'], accessUntil: '2099-01-01', maxRetrievals: '2', reason: '同意書を確認。' };
    // Beyond the longest window: the form again (422), nothing decided.
    const tooLong = await post(o.session, `/console/requests/${id}/decide`, form).expect(422);
    expect(tooLong.text).toContain('入力内容に誤りがあります');
    const limits = (await t.db.query(`SELECT now() AS now`)).rows[0].now as Date;
    const until = new Date(limits.getTime() + 9 * 3600_000 + 5 * 86_400_000).toISOString().slice(0, 10);
    const summary = await post(o.session, `/console/requests/${id}/decide`, { ...form, accessUntil: until }).expect(200);
    expect(summary.text).toContain('決裁内容の確認');
    expect(summary.text).toContain(reference);
    expect(summary.text).toContain('大阪市');
    expect(summary.text).toContain('23:59');
    expect(await statusOf(id)).toBe('pending');
    // Back: the form holds the values entered.
    const back = await post(o.session, `/console/requests/${id}/decide`, { ...form, accessUntil: until, step: 'back' }).expect(200);
    expect(back.text).toContain(`value="${until}"`);
    expect(back.text).toContain('value="2"');
    expect(back.text).toContain('同意書を確認。</textarea>');
    expect(back.text).toMatch(/value="approve" required\s+checked/);
    expect(back.text).not.toMatch(/name="categories" value="release" checked/);
    expect(await statusOf(id)).toBe('pending');
    // Confirmed: decided, as summarised.
    const csrf = csrfFrom(summary.text)!;
    const done = await t.http
      .post(`/console/requests/${id}/decide`)
      .set('Cookie', `${SESSION_COOKIE}=${o.session.cookie}`)
      .type('form')
      .send({ _csrf: csrf, ...form, accessUntil: until, step: 'confirm' })
      .expect(303);
    expect(done.headers.location).toBe(`/console/requests/${id}?done=decided`);
    const view = (await t.http.get(`${API}/requests/${id}`).set(bearer(w.cityToken)).expect(200)).body;
    expect(view).toMatchObject({ status: 'approved', approvedCategories: ['identity', 'residence'], maxRetrievals: 2 });
    expect(view.accessUntil).toBe(new Date(`${until}T23:59:59+09:00`).toISOString());
  });

  it('compares the claimed consent with the record per category, and audits reading the consents', async () => {
    const { id } = await newRequest();
    const o = await officer();
    const before = (await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'record.read' AND record_id = $1`, [recordId])).rows[0].n as number;
    const page = await get(o.session, `/console/requests/${id}`).expect(200);
    const check = page.text.slice(page.text.indexOf('id="check-h"'), page.text.indexOf('id="consent-h"'));
    expect(check).toContain('id="consent-warn"');
    expect(check).toMatch(/本人特定情報<\/td><td data-label="記録上の同意"><span class="coverage coverage-covered">✓ 同意あり/);
    expect(check).toMatch(/支援の必要性<\/td><td data-label="記録上の同意"><span class="coverage coverage-not_covered">✗ 同意の範囲外/);
    expect(page.text).not.toContain('reintegration_support');
    const after = await t.db.query(`SELECT actor_id, details FROM audit_events WHERE action = 'record.read' AND record_id = $1 ORDER BY id DESC`, [recordId]);
    expect(after.rows.length).toBe(before + 1);
    expect(after.rows[0]).toMatchObject({ actor_id: o.id, details: { channel: 'console', fields: ['consents'], requestId: id } });
  });

  it('says "none on file" when the record holds no consent', async () => {
    const bare = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '同意 無子', birthDate: '1981-02-03' })).expect(201);
    const req = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: bare.body.recordRef })).expect(201);
    const o = await officer();
    const page = await get(o.session, `/console/requests/${req.body.id}?lang=en`).expect(200);
    expect(page.text).toContain('Caution: this request claims the person’s consent, but the record holds no consent.');
    expect(page.text.match(/coverage-none_on_file/g)?.length).toBe(requestBody({}).categories.length);
  });

  it('orders and filters the queue: overdue only, newest received, longest waiting', async () => {
    const [older, newer] = [await newRequest(), await newRequest()];
    await t.db.query(`UPDATE info_requests SET created_at = created_at - interval '3 days', due_at = now() - interval '1 hour' WHERE id = $1`, [older.id]);
    const o = await officer();
    const order = (html: string, ids: string[]) => ids.map((id) => html.indexOf(`/console/requests/${id}"`));
    const overdue = (await get(o.session, '/console/queue?overdue=1').expect(200)).text;
    expect(overdue).toContain(`/console/requests/${older.id}"`);
    expect(overdue).not.toContain(`/console/requests/${newer.id}"`);
    const [a1, b1] = order((await get(o.session, '/console/queue?sort=received').expect(200)).text, [older.id, newer.id]);
    expect(b1).toBeGreaterThan(-1);
    expect(b1).toBeLessThan(a1!);
    const [a2, b2] = order((await get(o.session, '/console/queue?sort=waiting').expect(200)).text, [older.id, newer.id]);
    expect(a2).toBeGreaterThan(-1);
    expect(a2).toBeLessThan(b2!);
    // An unknown order or filter value falls back to the default, never an error.
    expect((await get(o.session, '/console/queue?sort=x%27%3B&assigned=nobody&overdue=yes').expect(200)).text).toContain(`/console/requests/${newer.id}"`);
  });

  it('numbers existing requests in the order they were received when the migration runs on a filled table', async () => {
    const made = [await newRequest(), await newRequest(), await newRequest()];
    const runner = t.app.get(DataSource).createQueryRunner();
    try {
      const migration = new RequestReferenceAndAssignment1765400000000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = (await t.db.query(`SELECT id, reference FROM info_requests ORDER BY created_at, id`)).rows as { id: string; reference: string }[];
    expect(rows.map((r) => r.reference)).toEqual(rows.map((_, i) => `REQ-${String(i + 1).padStart(6, '0')}`));
    expect(rows.slice(-3).map((r) => r.id)).toEqual(made.map((m) => m.id));
    // New requests continue the sequence.
    const next = await newRequest();
    expect(next.reference).toBe(`REQ-${String(rows.length + 1).padStart(6, '0')}`);
  });

  it('serves /favicon.ico, cacheable', async () => {
    const res = await t.http.get('/favicon.ico').expect(200);
    expect(res.headers['content-type']).toBe('image/x-icon');
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    expect((res.body as Buffer).subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
  });
});
