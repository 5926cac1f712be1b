import { randomUUID } from 'node:crypto';
import {
  activateSafeguards,
  buildWorld,
  idemKey,
  recordBody,
  requestBody,
  World,
} from './support/exchange-fixtures';
import { createStaff } from './support/factories';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/** Japan time (+09:00) as UTC ISO. */
const jst = (local: string) => new Date(`${local}+09:00`).toISOString();

describe('per-person report and anomaly views', () => {
  let t: TestApp;
  let w: World;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body
      .items[0];
    auditor = (await createStaff(t, w.admin, ministry.id, ['auditor'])).token;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function newRecord(): Promise<{ id: string; recordRef: string }> {
    const res = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody());
    expect(res.status).toBe(201);
    return { id: res.body.id, recordRef: res.body.recordRef };
  }

  describe('GET /audit/records/:recordId/report', () => {
    let rec: { id: string; recordRef: string };
    let requestId: string;

    beforeAll(async () => {
      rec = await newRecord();
      const other = await newRecord();
      const ask = await t.http
        .post(`${API}/requests`)
        .set(bearer(w.cityToken))
        .set('Idempotency-Key', idemKey())
        .send(requestBody({ recordRef: rec.recordRef }));
      expect(ask.status).toBe(201);
      requestId = ask.body.id;
      // Another agency's officer cannot see the request: refused, on record with the request id only.
      await t.http
        .post(`${API}/requests/${requestId}/decisions`)
        .set(bearer(w.probationOfficer.token))
        .send({ decision: 'approve', reason: '確認済み' })
        .expect(404);
      await t.http
        .post(`${API}/requests/${requestId}/decisions`)
        .set(bearer(w.officer.token))
        .send({ decision: 'approve', reason: '同意書を確認' })
        .expect(200);
      await t.http.get(`${API}/requests/${requestId}/disclosure`).set(bearer(w.cityToken)).expect(200);
      await t.http.get(`${API}/requests/${requestId}/disclosure`).set(bearer(w.otherCityToken)).expect(404);
      await t.http.get(`${API}/release-records/${other.id}`).set(bearer(w.officer.token)).expect(200);
    });

    it('lists every read, decision, disclosure and refusal about the person, with actor, organisation and Japan time, and no one else', async () => {
      const res = await t.http.get(`${API}/audit/records/${rec.id}/report`).set(bearer(auditor)).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const r = res.body;
      expect(r.recordId).toBe(rec.id);
      expect(r.requestIds).toEqual([requestId]);
      expect(r.truncated).toBe(false);
      const byAction = (a: string, outcome = 'success') =>
        r.items.filter((e: { action: string; outcome: string }) => e.action === a && e.outcome === outcome);
      expect(byAction('request.create')).toEqual([
        expect.objectContaining({
          kind: 'request',
          organizationId: w.city.id,
          organizationName: '大阪市',
          actorType: 'client',
        }),
      ]);
      expect(byAction('request.approve')).toEqual([
        expect.objectContaining({
          kind: 'decision',
          actorId: w.officer.id,
          actorName: expect.any(String),
          organizationId: w.facility.id,
          organizationName: '大阪刑務所',
        }),
      ]);
      expect(byAction('disclosure.retrieve')).toEqual([
        expect.objectContaining({ kind: 'disclosure', organizationName: '大阪市' }),
      ]);
      // The refused decision carries only the request id; the refused retrieval by another city too.
      expect(byAction('request.decide', 'denied')).toEqual([
        expect.objectContaining({ kind: 'refusal', actorId: w.probationOfficer.id, resourceId: requestId }),
      ]);
      expect(byAction('disclosure.retrieve', 'denied')).toEqual([
        expect.objectContaining({ kind: 'refusal', reasonCode: 'not-found', resourceId: requestId }),
      ]);
      for (const e of r.items) {
        expect(e.japanTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$/);
        expect(Date.parse(e.japanTime)).toBe(Math.floor(Date.parse(e.occurredAt) / 1000) * 1000);
        expect(
          e.resourceId === rec.id || e.resourceId === requestId || e.resourceType === 'release_record',
        ).toBe(true);
      }
      const times = r.items.map((e: { occurredAt: string }) => e.occurredAt);
      expect([...times].sort().reverse()).toEqual(times);
      const total = Object.values(r.counts as Record<string, number>).reduce((a, b) => a + b, 0);
      expect(total).toBe(r.items.length);
      expect(r.counts.refusal).toBe(2);
      expect(r.counts.disclosure).toBe(1);
      // Nothing about the other record, and no name or birth date anywhere.
      expect(JSON.stringify(r)).not.toContain(recordBody().fullName as string);
    });

    it('is itself audited as a read about the person, and shows up in the next report', async () => {
      const res = await t.http.get(`${API}/audit/records/${rec.id}/report`).set(bearer(auditor)).expect(200);
      const { rows } = await t.db.query(
        `SELECT action, record_id, resource_id, outcome, details FROM audit_events WHERE request_id = $1`,
        [res.headers['x-request-id']],
      );
      expect(rows).toEqual([
        expect.objectContaining({
          action: 'audit.report',
          record_id: rec.id,
          resource_id: rec.id,
          outcome: 'success',
          details: expect.objectContaining({ format: 'json' }),
        }),
      ]);
      expect(
        res.body.items.filter((e: { action: string }) => e.action === 'audit.report').length,
      ).toBeGreaterThanOrEqual(1);
      expect(res.body.items.find((e: { action: string }) => e.action === 'audit.report').kind).toBe('read');
    });

    it('answers CSV with Accept: text/csv, one line per event under a header', async () => {
      const json = (
        await t.http.get(`${API}/audit/records/${rec.id}/report`).set(bearer(auditor)).expect(200)
      ).body;
      const res = await t.http
        .get(`${API}/audit/records/${rec.id}/report`)
        .set(bearer(auditor))
        .set('Accept', 'text/csv')
        .expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="person-report-${rec.id}.csv"`);
      const lines = res.text.trimEnd().split('\n');
      expect(lines[0]).toBe(
        'id,occurredAt,japanTime,kind,action,outcome,reasonCode,actorType,actorId,actorName,organizationId,organizationName,resourceType,resourceId,requestId',
      );
      // The CSV report is one more event than the JSON one before it (the JSON report itself).
      expect(lines.length - 1).toBe(json.items.length + 1);
      expect(res.text).toContain('"disclosure","disclosure.retrieve","success"');
    });

    it('is for auditors only; an unknown record is 404 and a refusal on record; a malformed id 400', async () => {
      for (const token of [
        w.officer.token,
        w.supervisor.token,
        w.reviewer.token,
        w.cityToken,
        w.facilityToken,
      ])
        await t.http.get(`${API}/audit/records/${rec.id}/report`).set(bearer(token)).expect(403);
      await t.http.get(`${API}/audit/records/${rec.id}/report`).expect(401);
      const unknown = randomUUID();
      const res = await t.http.get(`${API}/audit/records/${unknown}/report`).set(bearer(auditor)).expect(404);
      const { rows } = await t.db.query(
        `SELECT action, outcome, reason_code, resource_id FROM audit_events WHERE request_id = $1`,
        [res.headers['x-request-id']],
      );
      expect(rows).toEqual([
        { action: 'audit.report', outcome: 'denied', reason_code: 'not-found', resource_id: unknown },
      ]);
      await t.http.get(`${API}/audit/records/not-a-uuid/report`).set(bearer(auditor)).expect(400);
    });
  });

  describe('GET /audit/anomalies', () => {
    const orgX = randomUUID();
    const orgY = randomUUID();
    const muniA = randomUUID();
    const muniB = randomUUID();
    const from = jst('2026-05-01T00:00:00');
    const to = jst('2026-05-08T00:00:00');

    /** n events by one actor starting at `at`, `stepSeconds` apart. */
    async function seed(
      n: number,
      at: string,
      stepSeconds: number,
      e: {
        actorType?: string;
        actor: string;
        org?: string;
        action?: string;
        outcome?: string;
        resourceType?: string;
        records?: boolean;
      },
    ) {
      await t.db.query(
        `INSERT INTO audit_events (occurred_at, actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id, outcome)
         SELECT $1::timestamptz + make_interval(secs => g * $2::float8), $3, $4, $5, $6, $7, NULL,
                CASE WHEN $9 THEN gen_random_uuid() END, $8
           FROM generate_series(0, $10::int - 1) g`,
        [
          at,
          stepSeconds,
          e.actorType ?? 'user',
          e.actor,
          e.org ?? null,
          e.action ?? 'request.read',
          e.resourceType ?? 'request',
          e.outcome ?? 'success',
          e.records ?? false,
          n,
        ],
      );
    }

    beforeAll(async () => {
      // Outside working hours (08:00–20:00 Japan time on business days): late at night, on a Saturday,
      // on a national holiday (6 May 2026, a substitute holiday); and one in working hours.
      await seed(1, jst('2026-05-07T23:30:00'), 0, { actor: 'night-owl', org: orgX });
      await seed(1, jst('2026-05-02T10:00:00'), 0, { actor: 'saturday', org: orgX });
      await seed(1, jst('2026-05-06T10:00:00'), 0, { actor: 'holiday', org: orgX });
      await seed(1, jst('2026-05-07T10:00:00'), 0, { actor: 'office-hours', org: orgX });
      // Bursts: more than 300 in 10 minutes, and exactly 300 in 10 minutes.
      await seed(301, jst('2026-05-07T11:00:00'), 1, { actor: 'burst', org: orgX });
      await seed(300, jst('2026-05-07T11:00:00'), 2, { actor: 'steady', org: orgX });
      // Refusals: 21 and 20 within 24 hours.
      await seed(21, jst('2026-05-07T12:00:00'), 60, {
        actorType: 'client',
        actor: 'refused-often',
        org: muniA,
        action: 'disclosure.retrieve',
        outcome: 'denied',
      });
      await seed(20, jst('2026-05-07T12:00:00'), 60, {
        actorType: 'client',
        actor: 'refused-sometimes',
        org: muniB,
        action: 'disclosure.retrieve',
        outcome: 'denied',
        records: true,
      });
      // Retrievals: 31 and 30 different people.
      await seed(31, jst('2026-05-07T13:00:00'), 60, {
        actorType: 'client',
        actor: 'wide',
        org: muniA,
        action: 'disclosure.retrieve',
        records: true,
      });
      await seed(30, jst('2026-05-07T13:00:00'), 60, {
        actorType: 'client',
        actor: 'narrow',
        org: muniB,
        action: 'disclosure.retrieve',
        records: true,
      });
      // Approvals at agency X: 12 against peers' 2 and 3 (median 2.5); at agency Y 12 against a single peer.
      await seed(12, jst('2026-05-07T14:00:00'), 60, {
        actor: 'eager',
        org: orgX,
        action: 'request.approve',
      });
      await seed(2, jst('2026-05-07T14:00:00'), 60, {
        actor: 'careful',
        org: orgX,
        action: 'request.approve',
      });
      await seed(3, jst('2026-05-07T14:00:00'), 60, {
        actor: 'middling',
        org: orgX,
        action: 'request.approve.first',
      });
      await seed(4, jst('2026-05-07T15:00:00'), 60, {
        actor: 'middling',
        org: orgX,
        action: 'request.reject',
      });
      await seed(12, jst('2026-05-07T14:00:00'), 60, {
        actor: 'alone',
        org: orgY,
        action: 'request.approve',
      });
      await seed(2, jst('2026-05-07T14:00:00'), 60, {
        actor: 'only-peer',
        org: orgY,
        action: 'request.approve',
      });
      // Outside the period: ignored.
      await seed(400, jst('2026-05-08T11:00:00'), 1, { actor: 'next-week', org: orgX });
    });

    interface View {
      view: string;
      threshold: Record<string, unknown>;
      findings: {
        actorId: string | null;
        organizationId: string | null;
        count: number;
        peerMedian?: number;
        peers?: number;
        search: Record<string, string>;
      }[];
    }

    async function views(): Promise<Record<string, View>> {
      const res = await t.http
        .get(`${API}/audit/anomalies`)
        .query({ from, to })
        .set(bearer(auditor))
        .expect(200);
      expect(res.body).toMatchObject({ from, to });
      return Object.fromEntries((res.body.views as View[]).map((v) => [v.view, v]));
    }

    it('flags access outside working hours, on weekends and holidays in Japan time, and not in working hours', async () => {
      const v = (await views())['outside-hours']!;
      expect(v.threshold).toEqual({ minEvents: 1, start: '08:00', end: '20:00' });
      const actors = v.findings.map((f) => f.actorId);
      expect(actors).toEqual(expect.arrayContaining(['night-owl', 'saturday', 'holiday']));
      expect(actors).not.toContain('office-hours');
      expect(actors).not.toContain('burst');
      expect(actors).not.toContain('next-week');
    });

    it('flags more than N events in M minutes by one actor, not exactly N', async () => {
      const v = (await views()).bursts!;
      expect(v.threshold).toEqual({ events: 300, minutes: 10 });
      expect(v.findings.map((f) => [f.actorId, f.count])).toEqual([['burst', 301]]);
    });

    it('flags more than N refusals of one actor within the hours, and links to them', async () => {
      const v = (await views()).refusals!;
      expect(v.findings.map((f) => [f.actorId, f.count])).toEqual([['refused-often', 21]]);
      const search = await t.http
        .get(`${API}/audit/events`)
        .query(v.findings[0]!.search)
        .set(bearer(auditor))
        .expect(200);
      expect(search.body.items).toHaveLength(21);
      expect(
        search.body.items.every(
          (e: { outcome: string; actorId: string }) =>
            e.outcome === 'denied' && e.actorId === 'refused-often',
        ),
      ).toBe(true);
    });

    it('flags a municipality retrieving about more than N different people (refused retrievals do not count)', async () => {
      const v = (await views()).retrievals!;
      expect(v.findings.map((f) => [f.organizationId, f.count])).toEqual([[muniA, 31]]);
      const search = await t.http
        .get(`${API}/audit/events`)
        .query(v.findings[0]!.search)
        .set(bearer(auditor))
        .expect(200);
      expect(search.body.items.filter((e: { outcome: string }) => e.outcome === 'success')).toHaveLength(31);
    });

    it('flags an officer approving far more than the median of peers at the same agency, given enough peers', async () => {
      const v = (await views()).approvals!;
      expect(v.findings).toEqual([
        expect.objectContaining({
          actorId: 'eager',
          organizationId: orgX,
          count: 12,
          peerMedian: 2.5,
          peers: 2,
        }),
      ]);
      // Its search covers every approval code (first stages included): the decision operation.
      expect(v.findings[0]!.search).toMatchObject({ group: 'decision', actor: 'eager' });
      expect(v.findings[0]!.search.action).toBeUndefined();
    });

    it('answers one view alone, refuses a period too long or backwards, and only auditors may look', async () => {
      const one = await t.http
        .get(`${API}/audit/anomalies`)
        .query({ from, to, view: 'bursts' })
        .set(bearer(auditor))
        .expect(200);
      expect(one.body.views.map((v: View) => v.view)).toEqual(['bursts']);
      await t.http
        .get(`${API}/audit/anomalies`)
        .query({ from: '2026-01-01', to: '2026-03-01' })
        .set(bearer(auditor))
        .expect(400);
      await t.http
        .get(`${API}/audit/anomalies`)
        .query({ from: to, to: from })
        .set(bearer(auditor))
        .expect(400);
      await t.http
        .get(`${API}/audit/anomalies`)
        .query({ view: 'everything' })
        .set(bearer(auditor))
        .expect(400);
      for (const token of [w.officer.token, w.reviewer.token, w.cityToken])
        await t.http.get(`${API}/audit/anomalies`).set(bearer(token)).expect(403);
      // The default period (the last 7 days) holds none of the seeded May events.
      const now = await t.http.get(`${API}/audit/anomalies`).set(bearer(auditor)).expect(200);
      expect(
        now.body.views.flatMap((v: View) => v.findings).map((f: { actorId: string }) => f.actorId),
      ).not.toContain('burst');
    });
  });

  describe('GET /audit/events with time windows', () => {
    it('pages newest first by time through a window far in the past, with the cursor', async () => {
      const actor = `pager-${randomUUID().slice(0, 8)}`;
      await t.db.query(
        `INSERT INTO audit_events (occurred_at, actor_type, actor_id, action, resource_type, outcome)
         SELECT timestamptz '2020-01-01T00:00:00Z' + make_interval(mins => g), 'user', $1, 'request.read', 'request', 'success' FROM generate_series(0, 249) g`,
        [actor],
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 5; page++) {
        const res = await t.http
          .get(`${API}/audit/events`)
          .query({
            actor,
            from: '2020-01-01T01:00:00Z',
            to: '2020-01-01T03:00:00Z',
            limit: 50,
            ...(cursor ? { cursor } : {}),
          })
          .set(bearer(auditor))
          .expect(200);
        seen.push(...res.body.items.map((e: { occurredAt: string }) => e.occurredAt));
        cursor = res.body.nextCursor ?? undefined;
        if (!cursor) break;
      }
      expect(seen).toHaveLength(120);
      expect(seen[0]).toBe('2020-01-01T02:59:00.000000Z');
      expect(seen[119]).toBe('2020-01-01T01:00:00.000000Z');
      expect([...seen].sort().reverse()).toEqual(seen);
    });
  });
});
