import { ExpiryService } from '../src/scheduler/expiry.service';
import { SchedulerService } from '../src/scheduler/scheduler.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

describe('scheduled expiry', () => {
  let t: TestApp;
  let w: World;
  let safeguardId: string;

  beforeAll(async () => {
    t = await createTestApp();
    w = await buildWorld(t);
    safeguardId = await activateSafeguards(t, w, w.cityToken);
    await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '期限 三郎', birthDate: '1985-03-03' })).expect(201);
  });
  afterAll(() => t.close());

  const newRequest = async () =>
    (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: '期限 三郎', birthDate: '1985-03-03' })).expect(201)).body.id as string;

  it('lapses undecided requests, ended access windows and safeguards past validity, each with an audit event', async () => {
    const waiting = await newRequest();
    const approved = await newRequest();
    await t.http.post(`${API}/requests/${approved}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'ok' }).expect(200);
    const fresh = await newRequest();
    await t.db.query(`UPDATE info_requests SET expires_at = now() - interval '1 minute' WHERE id = $1`, [waiting]);
    await t.db.query(`UPDATE info_requests SET access_until = now() - interval '1 minute' WHERE id = $1`, [approved]);
    await t.db.query(`UPDATE safeguards SET valid_until = now() - interval '1 minute' WHERE id = $1`, [safeguardId]);

    const swept = await t.app.get(ExpiryService).sweep();
    expect(swept).toEqual({ requests: 2, safeguards: 1 });

    const status = async (id: string) => (await t.http.get(`${API}/requests/${id}`).set(bearer(w.cityToken)).expect(200)).body;
    expect(await status(waiting)).toMatchObject({ status: 'expired', statusReason: 'not decided in time' });
    expect(await status(approved)).toMatchObject({ status: 'expired', statusReason: 'access window ended' });
    expect((await status(fresh)).status).toBe('pending');
    const current = await t.http.get(`${API}/safeguards/current`).set(bearer(w.cityToken)).expect(200);
    expect(current.body.active).toBeNull();
    expect(current.body.latest).toMatchObject({ id: safeguardId, status: 'expired' });

    const events = await t.db.query(`SELECT action, actor_type, resource_id FROM audit_events WHERE action IN ('request.expire', 'safeguards.expire') ORDER BY id`);
    expect(events.rows).toEqual(
      expect.arrayContaining([
        { action: 'safeguards.expire', actor_type: 'system', resource_id: safeguardId },
        { action: 'request.expire', actor_type: 'system', resource_id: waiting },
        { action: 'request.expire', actor_type: 'system', resource_id: approved },
      ]),
    );
    expect(events.rowCount).toBe(3);

    // A second sweep finds nothing more to do.
    expect(await t.app.get(ExpiryService).sweep()).toEqual({ requests: 0, safeguards: 0 });
    // And the expired approval cannot be retrieved.
    const refused = await t.http.get(`${API}/requests/${approved}/disclosure`).set(bearer(w.cityToken)).expect(403);
    expect(refused.body.type).toMatch(/access-window-closed$/);
  });

  it('runs the sweep through pg-boss once a minute when the scheduler is on', async () => {
    const s = await createTestApp({ SCHEDULER_ENABLED: 'true' });
    try {
      // It starts in the background (readiness does not wait for it).
      await s.app.get(SchedulerService).started;
      const schedules = await s.db.query(`SELECT name, cron FROM pgboss.schedule`);
      expect(schedules.rows).toEqual([{ name: 'expiry-sweep', cron: '* * * * *' }]);
    } finally {
      await s.close();
    }
  });
});
