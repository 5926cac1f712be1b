/*
 * A burst larger than the connection pool: every call is answered, none waits for a connection it
 * can never get. With DATABASE_POOL_SIZE=2, twelve disclosures and twelve refused probes arrive at
 * once; each disclosure holds a transaction while it works, and each refusal writes its audit
 * event on its own connection (the detached pool), so neither may wait on the main pool twice.
 */
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

describe('a burst larger than the pool', () => {
  let t: TestApp;
  let w: World;
  const approvedIds: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ DATABASE_POOL_SIZE: '2' });
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    for (let i = 0; i < 12; i++) {
      const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()).expect(201);
      const req = await t.http
        .post(`${API}/requests`)
        .set(bearer(w.cityToken))
        .set('Idempotency-Key', idemKey())
        .send(requestBody({ recordRef: rec.body.recordRef }))
        .expect(201);
      await t.http.post(`${API}/requests/${req.body.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: '確認済み' }).expect(200);
      approvedIds.push(req.body.id as string);
    }
  });
  afterAll(() => t.close());

  it('answers every disclosure and every refused probe, with an audit event each', async () => {
    // Let the cached checkpoint age, so the burst also has to read a fresh one.
    await new Promise((r) => setTimeout(r, 1100));
    const started = Date.now();
    const probes = Array.from({ length: 12 }, () => `00000000-0000-4000-8000-${Math.floor(Math.random() * 1e12).toString().padStart(12, '0')}`);
    const results = await Promise.all([
      ...approvedIds.map((id) => t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken))),
      ...probes.map((id) => t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken))),
    ]);
    const elapsed = Date.now() - started;
    expect(results.slice(0, 12).map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.slice(12).map((r) => r.status)).toEqual(Array(12).fill(404));
    // Far below the pool's 5 s wait for a connection: nobody waited for one that could not come.
    expect(elapsed).toBeLessThan(4_000);
    const { rows } = await t.db.query(
      `SELECT outcome, count(*)::int AS n FROM audit_events WHERE action = 'disclosure.retrieve' AND resource_id = ANY($1::text[]) GROUP BY outcome ORDER BY outcome`,
      [[...approvedIds, ...probes]],
    );
    expect(rows).toEqual([
      { outcome: 'denied', n: 12 },
      { outcome: 'success', n: 12 },
    ]);
  });
});
