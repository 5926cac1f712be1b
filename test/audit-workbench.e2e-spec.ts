import { createHash } from 'node:crypto';
import { actionsOf } from '../src/audit/actions';
import { AuditLogService } from '../src/audit/audit-log.service';
import { verifyInclusion } from '../src/audit/merkle';
import { ConsoleSession, consoleSignIn, SESSION_COOKIE } from './support/authz-console';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

const b64 = (s: string) => Buffer.from(s, 'base64');
const SUBJECT_NAME = '法務 太郎';

interface Staff {
  id: string;
  username: string;
  password: string;
  token: string;
  secret: string;
}

/** A staff user with a display name of our choosing (the factories number theirs). */
async function staff(t: TestApp, admin: string, organizationId: string, roles: string[], displayName: string): Promise<Staff> {
  const username = `wb_${roles[0]}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const password = `pw-${username}-long-enough`;
  const res = await t.http.post(`${API}/users`).set(bearer(admin)).send({ username, displayName, organizationId, roles, password });
  if (res.status !== 201) throw new Error(`create user: ${res.status} ${JSON.stringify(res.body)}`);
  const { token, secret } = await signIn(t, username, password);
  return { id: res.body.id, username, password, token, secret };
}

describe("auditor's workbench", () => {
  let t: TestApp;
  let w: World;
  let auditor: Staff;
  let decider: Staff;
  let recordId: string;
  let rejected: string;
  let approved: string;

  async function newRequest(): Promise<string> {
    const res = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: SUBJECT_NAME, birthDate: '1980-04-01' }));
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function events(query: Record<string, string>): Promise<{ id: string; action: string; actorId: string | null; outcome: string }[]> {
    const res = await t.http.get(`${API}/audit/events`).query({ limit: '500', ...query }).set(bearer(auditor.token));
    expect([res.status, res.body.errors]).toEqual([200, undefined]);
    return res.body.items;
  }

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    w = await buildWorld(t);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    auditor = await staff(t, w.admin, ministry.id, ['auditor'], '監査 一郎');
    decider = await staff(t, w.admin, w.facility.id, ['case_officer'], '決裁 花子');
    await activateSafeguards(t, w, w.cityToken);
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: SUBJECT_NAME })).expect(201);
    recordId = rec.body.id;
    rejected = await newRequest();
    approved = await newRequest();
    await t.http.post(`${API}/requests/${rejected}/decisions`).set(bearer(decider.token)).send({ decision: 'reject', reason: '同意の範囲外' }).expect(200);
    // Deciding it again is refused: recorded under the decision's refusal code.
    await t.http.post(`${API}/requests/${rejected}/decisions`).set(bearer(decider.token)).send({ decision: 'reject', reason: '再度' }).expect(409);
    const accessUntil = new Date(Date.now() + 5 * 86_400_000).toISOString();
    await t.http.post(`${API}/requests/${approved}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', categories: ['identity'], accessUntil, maxRetrievals: 1, reason: '確認済み' }).expect(200);
  });
  afterAll(() => t.close());

  describe('GET /audit/events by operation', () => {
    it('finds every code of a group, successes and refusals, and nothing else', async () => {
      const found = await events({ group: 'decision' });
      const codes = new Set(found.map((e) => e.action));
      expect([...codes].sort()).toEqual(['request.approve', 'request.decide', 'request.reject']);
      expect(found.every((e) => actionsOf('decision').includes(e.action))).toBe(true);
      expect(found.find((e) => e.action === 'request.decide')?.outcome).toBe('denied');
      // The same events the single codes find, one by one.
      const oneByOne = (await Promise.all(actionsOf('decision').map((action) => events({ action })))).flat();
      expect(found.map((e) => e.id).sort()).toEqual(oneByOne.map((e) => e.id).sort());
    });

    it('keeps the single-code filter, combines it with a group, and refuses an unknown group', async () => {
      expect((await events({ action: 'request.decide' })).map((e) => e.action)).toEqual(['request.decide']);
      expect(await events({ action: 'request.create', group: 'decision' })).toEqual([]);
      const bad = await t.http.get(`${API}/audit/events?group=decisions`).set(bearer(auditor.token));
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'group' })]);
      // Codes with an underscore are searchable too.
      await t.http.get(`${API}/audit/events?action=webhook.rotate_secret`).set(bearer(auditor.token)).expect(200);
    });
  });

  describe('GET /audit/actions', () => {
    it('answers the catalogue: every group with its codes and labels, the values the filters take', async () => {
      const res = await t.http.get(`${API}/audit/actions`).expect(200);
      expect(res.headers['cache-control']).toContain('public');
      const decision = res.body.items.find((g: { key: string }) => g.key === 'decision');
      expect(decision.label).toEqual({ ja: '決裁', en: 'Decision' });
      expect(decision.actions.map((a: { code: string }) => a.code).sort()).toEqual(actionsOf('decision').sort());
      expect(decision.actions.find((a: { code: string }) => a.code === 'request.decide').label.en).toBe('Decision attempt (refused)');
      // Each group key is a filter value the search takes.
      for (const g of res.body.items) await t.http.get(`${API}/audit/events?limit=1&group=${g.key}`).set(bearer(auditor.token)).expect(200);
    });
  });

  describe('GET /audit/events by actor name', () => {
    it('resolves the name to the actors it matches and answers their events', async () => {
      const byName = await events({ actorName: '決裁' });
      expect(byName.length).toBeGreaterThan(2);
      expect(new Set(byName.map((e) => e.actorId))).toEqual(new Set([decider.id]));
      const byId = await events({ actor: decider.id });
      expect(byName.map((e) => e.id)).toEqual(byId.slice(0, byName.length).map((e) => e.id).filter((id) => byName.some((e) => e.id === id)));
      // A name that matches nobody answers nothing (not everything).
      expect(await events({ actorName: 'nobody-is-called-this' })).toEqual([]);
      // Combined with a group: the decider's decisions only.
      const decisions = await events({ actorName: '花子', group: 'decision' });
      expect(decisions.map((e) => e.action).sort()).toEqual(['request.decide', 'request.reject']);
    });

    it('matches staff and clients only: a subject name finds nothing', async () => {
      expect(await events({ actorName: '法務' })).toEqual([]);
    });

    it('records the ids a name resolved to, never the text typed', async () => {
      await events({ actorName: '決裁' });
      const last = await t.db.query(`SELECT details FROM audit_events WHERE action = 'audit.search' ORDER BY id DESC LIMIT 1`);
      expect(last.rows[0].details.filters.actorIds).toEqual([decider.id]);
      expect(JSON.stringify(last.rows[0].details)).not.toContain('決裁');
    });

    it('does not take actor ids from the query', async () => {
      const res = await t.http.get(`${API}/audit/events?actorIds=${decider.id}`).set(bearer(auditor.token));
      expect(res.status).toBe(400);
    });
  });

  describe('POST and GET /audit/reviews', () => {
    const conclusion = '対象期間の決裁・提供を確認した。異常なし。';

    it('records a review as an audit event, and lists it as not yet sealed', async () => {
      const res = await t.http.post(`${API}/audit/reviews`).set(bearer(auditor.token)).send({ kind: 'period', from: '2026-11-01', to: '2026-12-01', conclusion });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({ kind: 'period', from: '2026-11-01', to: '2026-12-01', conclusion, leafIndex: null, checkpoint: null, matchesEvent: true });
      expect(res.body.reviewer).toEqual({ id: auditor.id, name: '監査 一郎', organizationId: expect.any(String), organizationName: expect.any(String) });
      const event = (await t.db.query(`SELECT action, actor_id, resource_id, details FROM audit_events WHERE id = $1`, [res.body.auditEventId])).rows[0];
      expect(event).toMatchObject({ action: 'audit.review', actor_id: auditor.id, resource_id: res.body.id });
      // The leaf commits to the conclusion by its hash; the text itself stays out of the log.
      expect(event.details.conclusionSha256).toBe(createHash('sha256').update(conclusion).digest('hex'));
      expect(JSON.stringify(event.details)).not.toContain('異常なし');
      const list = await t.http.get(`${API}/audit/reviews`).set(bearer(auditor.token)).expect(200);
      expect(list.body.items[0]).toMatchObject({ id: res.body.id, checkpoint: null, leafIndex: null });
    });

    it('names the first checkpoint that covers the review once sealed, and the leaf proves into it', async () => {
      const finding = await t.http
        .post(`${API}/audit/reviews`)
        .set(bearer(auditor.token))
        .send({ kind: 'finding', eventIds: [(await events({ action: 'request.decide' }))[0]!.id], anomaly: 'repeat-decision:1', conclusion: '二重の決裁は拒否されていた。' });
      expect(finding.status).toBe(201);
      const log = t.app.get(AuditLogService);
      await log.sealNow();
      // Later events and checkpoints do not change which checkpoint covers it.
      await events({ action: 'request.create' }); // an audited read, sealed after the review
      await log.sealNow();
      const list = await t.http.get(`${API}/audit/reviews`).set(bearer(auditor.token)).expect(200);
      const review = list.body.items.find((r: { id: string }) => r.id === finding.body.id);
      expect(review.leafIndex).toEqual(expect.any(Number));
      const first = await t.db.query(`SELECT tree_size, root_hash FROM audit_checkpoints WHERE tree_size > $1 ORDER BY tree_size LIMIT 1`, [review.leafIndex]);
      expect(review.checkpoint).toMatchObject({ treeSize: Number(first.rows[0].tree_size), rootHash: first.rows[0].root_hash.toString('base64') });
      const latest = (await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor.token))).body;
      expect(latest.treeSize).toBeGreaterThan(review.checkpoint.treeSize);
      const proof = await t.http.get(`${API}/audit/events/${review.leafIndex}/proof?treeSize=${review.checkpoint.treeSize}`).set(bearer(auditor.token)).expect(200);
      expect(verifyInclusion(review.leafIndex, review.checkpoint.treeSize, b64(proof.body.leafHash), proof.body.proof.map(b64), b64(review.checkpoint.rootHash))).toBe(true);
      expect(review).toMatchObject({ kind: 'finding', eventIds: finding.body.eventIds, anomaly: 'repeat-decision:1', matchesEvent: true });
      // Listing the reviews is itself a read on record.
      const reads = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'audit.reviews.read' AND actor_id = $1`, [auditor.id]);
      expect(reads.rows[0].n).toBeGreaterThanOrEqual(2);
    });

    it.each([
      ['a period without its end', { kind: 'period', from: '2026-11-01', conclusion }, 400, 'to'],
      ['a period that ends before it starts', { kind: 'period', from: '2026-11-02', to: '2026-11-01', conclusion }, 400, 'to'],
      ['a period given as times', { kind: 'period', from: '2026-11-01T00:00:00Z', to: '2026-11-02', conclusion }, 400, 'from'],
      ['a finding that names nothing', { kind: 'finding', conclusion }, 400, 'eventIds'],
      ['an empty conclusion', { kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion: '' }, 400, 'conclusion'],
      ['a conclusion over 2,000 characters', { kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion: 'あ'.repeat(2001) }, 400, 'conclusion'],
      ['an anomaly reference with spaces', { kind: 'finding', anomaly: 'a b', conclusion }, 400, 'anomaly'],
      ['an unknown field', { kind: 'finding', anomaly: 'x', conclusion, subjectName: 'x' }, 400, 'subjectName'],
      ['an event that does not exist', { kind: 'finding', eventIds: ['999999999'], conclusion }, 422, 'eventIds'],
    ])('refuses %s', async (_what, body, status, field) => {
      const before = (await t.db.query(`SELECT count(*)::int AS n FROM audit_reviews`)).rows[0].n;
      const res = await t.http.post(`${API}/audit/reviews`).set(bearer(auditor.token)).send(body);
      expect(res.status).toBe(status);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM audit_reviews`)).rows[0].n).toBe(before);
    });

    it('keeps a refused review on record, and answers unknown-audit-event', async () => {
      const res = await t.http.post(`${API}/audit/reviews`).set(bearer(auditor.token)).send({ kind: 'finding', eventIds: ['999999998'], conclusion });
      expect(res.body.type).toMatch(/\/unknown-audit-event$/);
      const last = await t.db.query(`SELECT outcome, reason_code FROM audit_events WHERE action = 'audit.review' ORDER BY id DESC LIMIT 1`);
      expect(last.rows[0]).toEqual({ outcome: 'denied', reason_code: 'unknown-audit-event' });
    });

    it('is for auditors only', async () => {
      const body = { kind: 'period', from: '2026-11-01', to: '2026-11-02', conclusion };
      await t.http.post(`${API}/audit/reviews`).send(body).expect(401);
      for (const token of [w.officer.token, w.reviewer.token, w.admin, w.cityToken]) {
        await t.http.post(`${API}/audit/reviews`).set(bearer(token)).send(body).expect(403);
        await t.http.get(`${API}/audit/reviews`).set(bearer(token)).expect(403);
      }
    });

    it('keeps reviews append-only', async () => {
      await expect(t.db.query(`UPDATE audit_reviews SET conclusion = 'changed'`)).rejects.toThrow(/append-only/);
      await expect(t.db.query(`DELETE FROM audit_reviews`)).rejects.toThrow(/append-only/);
    });
  });

  describe('console', () => {
    let session: ConsoleSession;
    const get = (path: string, s: ConsoleSession = session) => t.http.get(path).set('Cookie', `${SESSION_COOKIE}=${s.cookie}`);

    beforeAll(async () => {
      session = await consoleSignIn(t, auditor);
    });

    it('searches by operation and by actor name, and shows labels, names and links', async () => {
      const page = await get(`/console/audit?action=decision&actorName=${encodeURIComponent('決裁')}&lang=en`).expect(200);
      expect(page.text).toContain('<optgroup label="Decision">');
      expect(page.text).toMatch(/<option value="decision" selected>Decision \(all\)<\/option>/);
      expect(page.text).toContain('Rejected');
      expect(page.text).toContain('Decision attempt (refused)');
      expect(page.text).toContain('<code class="action-code">request.decide</code>');
      expect(page.text).toContain('class="actor">決裁 花子</a> (大阪刑務所)');
      expect(page.text).not.toMatch(/user:[0-9a-f]{8}-/);
      expect(page.text).toContain(`href="/console/audit/requests/${rejected}"`);
      expect(page.text).toContain(`href="/console/audit/records/${recordId}"`);
      expect(page.text).not.toContain(`/console/audit/requests/${approved}`); // decided by someone else
      expect(page.text).not.toContain(SUBJECT_NAME);
      // Filtered by an actor's id (the link on a name): the note names them and clears back to the rest.
      const byActor = await get(`/console/audit?actor=${decider.id}&action=decision`).expect(200);
      expect(byActor.text).toContain('操作者で絞り込み中: 決裁 花子 (大阪刑務所) — <a href="/console/audit?action&#x3D;decision">解除</a>');
    });

    it('shows a client registered without a name by its client id, as an id, and never as a name', async () => {
      const { client_id: clientId, name } = (await t.db.query(`SELECT client_id, name FROM api_clients WHERE organization_id = $1 LIMIT 1`, [w.city.id])).rows[0];
      await t.db.query(`UPDATE api_clients SET name = NULL WHERE client_id = $1`, [clientId]);
      try {
        const page = await get(`/console/audit?actor=${encodeURIComponent(clientId)}&lang=en`).expect(200);
        expect(page.text).toContain(`class="actor"><code class="id">${clientId}</code></a> (大阪市)`);
        expect(page.text).toContain(`Filtered by actor: <code class="id">${clientId}</code>`);
        expect(page.text).not.toContain('Unknown API client');
        // A client named exactly its own client id is shown by that name, as a name (it was once taken for a client without one).
        await t.db.query(`UPDATE api_clients SET name = client_id WHERE client_id = $1`, [clientId]);
        const selfNamed = await get(`/console/audit?actor=${encodeURIComponent(clientId)}&lang=en`).expect(200);
        expect(selfNamed.text).toContain(`class="actor">${clientId}</a> (大阪市)`);
        expect(selfNamed.text).toContain(`Filtered by actor: ${clientId} (大阪市)`);
        // Named again, the name is shown and the id is not.
        await t.db.query(`UPDATE api_clients SET name = $2 WHERE client_id = $1`, [clientId, '大阪市 連携システム']);
        const named = await get(`/console/audit?actor=${encodeURIComponent(clientId)}&lang=en`).expect(200);
        expect(named.text).toContain('class="actor">大阪市 連携システム</a> (大阪市)');
        expect(named.text).not.toContain(`<code class="id">${clientId}</code>`);
      } finally {
        await t.db.query(`UPDATE api_clients SET name = $2 WHERE client_id = $1`, [clientId, name]);
      }
    });

    it("opens a request and a record for the auditor, each a read on record", async () => {
      const req = await get(`/console/audit/requests/${approved}`).expect(200);
      expect(req.text).toContain('大阪市');
      expect(req.text).toContain(`href="/console/audit/records/${recordId}"`);
      const readReq = await t.db.query(`SELECT record_id, details FROM audit_events WHERE action = 'request.read' AND actor_id = $1 AND resource_id = $2`, [auditor.id, approved]);
      expect(readReq.rows).toEqual([{ record_id: recordId, details: { channel: 'console', view: 'audit' } }]);
      const rec = await get(`/console/audit/records/${recordId}`).expect(200);
      // What identifies the record in the log, never the fields about the person (those are the holder's).
      const ref = (await t.db.query(`SELECT record_ref FROM release_records WHERE id = $1`, [recordId])).rows[0].record_ref as string;
      expect(rec.text).toContain(ref);
      expect(rec.text).toContain('大阪刑務所');
      expect(rec.text).not.toContain(SUBJECT_NAME);
      expect(rec.text).toContain(`href="/console/audit/report?record=${recordId}"`);
      const readRec = await t.db.query(`SELECT outcome, details FROM audit_events WHERE action = 'record.read' AND actor_id = $1 AND record_id = $2`, [auditor.id, recordId]);
      expect(readRec.rows).toEqual([{ outcome: 'success', details: { channel: 'console', view: 'audit', fields: [] } }]);
      // One that does not exist: a refused read on record, and a not-found page.
      const missing = '00000000-0000-4000-8000-000000000000';
      await get(`/console/audit/requests/${missing}`).expect(404);
      await get(`/console/audit/records/${missing}`).expect(404);
      const refused = await t.db.query(`SELECT action FROM audit_events WHERE resource_id = $1 AND outcome = 'denied' ORDER BY id`, [missing]);
      expect(refused.rows.map((r) => r.action)).toEqual(['request.read', 'record.read']);
    });

    it('keeps no filter that did not validate in its audit.search event (free text in an id field could be a name)', async () => {
      await get(`/console/audit?record=${encodeURIComponent(SUBJECT_NAME)}`).expect(200);
      const last = await t.db.query(`SELECT details FROM audit_events WHERE action = 'audit.search' AND actor_id = $1 ORDER BY id DESC LIMIT 1`, [auditor.id]);
      expect(last.rows[0].details).toEqual({ channel: 'console', filters: { invalid: true }, count: 0 });
    });

    it('keeps the auditor views from everyone else', async () => {
      const officer = await consoleSignIn(t, { username: decider.username, password: decider.password, secret: decider.secret });
      await get(`/console/audit/requests/${rejected}`, officer).expect(403);
      await get(`/console/audit/records/${recordId}`, officer).expect(403);
      await get('/console/audit/reviews', officer).expect(403);
    });

    it('records a review from the form and lists it', async () => {
      const form = await t.http
        .post('/console/audit/reviews')
        .set('Cookie', `${SESSION_COOKIE}=${session.cookie}`)
        .type('form')
        .send({ _csrf: session.csrf, kind: 'finding', eventIds: '1, 2', anomaly: '', conclusion: 'コンソールからの確認。' });
      expect(form.status).toBe(303);
      expect(form.headers.location).toBe('/console/audit/reviews?done=reviewed');
      const page = await get('/console/audit/reviews?done=reviewed').expect(200);
      expect(page.text).toContain('コンソールからの確認。');
      expect(page.text).toContain('確認を記録しました。');
      // Each event the review names links to the search with that event at the top of the page.
      for (const id of ['1', '2']) {
        const href = page.text.match(new RegExp(`<a href="(/console/audit[^"]*)" class="event-ref"><code>${id}</code>`))?.[1]?.replace(/&#x3D;/g, '=');
        expect(href).toBeDefined();
        const at = await get(href!).expect(200);
        expect(at.text.match(/<td class="num">(\d+)<\/td>/)?.[1]).toBe(id);
      }
      // Its event links to the reviews.
      const events = await get('/console/audit?action=audit.review&outcome=success').expect(200);
      expect(events.text).toContain('<a href="/console/audit/reviews">監査の確認記録</a></td>');
      const bad = await t.http
        .post('/console/audit/reviews')
        .set('Cookie', `${SESSION_COOKIE}=${session.cookie}`)
        .type('form')
        .send({ _csrf: session.csrf, kind: 'period', from: '2026-11-02', to: '2026-11-01', conclusion: 'x' });
      expect(bad.headers.location).toBe('/console/audit/reviews?e=invalid');
    });
  });

  it('never puts the subject\'s name or a review\'s text into an audit event', async () => {
    const rows = await t.db.query(`SELECT details::text AS d FROM audit_events WHERE details IS NOT NULL`);
    for (const r of rows.rows) {
      expect(r.d).not.toContain('法務');
      expect(r.d).not.toContain('異常なし');
    }
  });
});
