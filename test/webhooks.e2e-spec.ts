import { randomUUID } from 'node:crypto';
import { ClsService } from 'nestjs-cls';
import { Webhook } from 'standardwebhooks';
import { Clock } from '../src/common/clock';
import { TransactionHost, TypeOrmAdapter } from '../src/database/transaction';
import { DomainEventsService } from '../src/events/domain-events.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { parsePrometheusText } from './support/prometheus';
import { API, bearer, createTestApp, TestApp } from './support/test-app';
import { Received, WebhookReceiver, waitFor } from './support/webhook-receiver';

const HOUR = 3600_000;

function metricValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  return parsePrometheusText(text).samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** Verifies a delivery with the Standard Webhooks library; answers the parsed body or throws. */
function verify(secret: string, r: Received): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
}

function verifies(secret: string, r: Received): boolean {
  try {
    verify(secret, r);
    return true;
  } catch {
    return false;
  }
}

describe('webhooks: events delivered to the organisations they concern (Standard Webhooks)', () => {
  let t: TestApp;
  let w: World;
  let rx: WebhookReceiver;

  beforeAll(async () => {
    rx = await new WebhookReceiver().start();
    t = await createTestApp({
      WEBHOOK_DELIVERY_ENABLED: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE_MS: '150,150,150',
      WEBHOOK_DISPATCH_INTERVAL_MS: '100',
      WEBHOOK_TIMEOUT_MS: '2000',
    });
    w = await buildWorld(t);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await rx?.stop();
  });

  async function register(token: string, path: string, events: string[], extra: Record<string, unknown> = {}) {
    const res = await t.http.post(`${API}/webhooks`).set(bearer(token)).send({ url: rx.url(path), events, ...extra });
    if (res.status !== 201) throw new Error(`register: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; secret: string; status: string; url: string; events: string[] };
  }

  async function deliveries(token: string, id: string) {
    const res = await t.http.get(`${API}/webhooks/${id}/deliveries`).set(bearer(token)).expect(200);
    return res.body.items as {
      id: string;
      messageId: string;
      eventId: string | null;
      eventType: string;
      status: string;
      attempts: { statusCode: number | null; error: string | null; durationMs: number }[];
    }[];
  }

  it('delivers every event of a whole flow exactly once per webhook-id, signed, to the organisations it concerns, without anything about the person', async () => {
    const facilityHook = await register(w.facilityToken, '/facility', ['request.created', 'request.second_approval_required']);
    const cityHook = await register(w.cityToken, '/city', ['request.decided', 'request.revoked', 'safeguards.verified']);
    expect(cityHook).toMatchObject({ status: 'active', url: rx.url('/city'), events: ['request.decided', 'request.revoked', 'safeguards.verified'] });
    expect(cityHook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(cityHook.secret.slice(6), 'base64')).toHaveLength(32);

    // The secret is shown once: never read back, stored sealed, never logged.
    const read = await t.http.get(`${API}/webhooks/${cityHook.id}`).set(bearer(w.cityToken)).expect(200);
    expect(JSON.stringify(read.body)).not.toContain('whsec_');
    const stored = await t.db.query(`SELECT t::text AS row FROM webhook_subscriptions t WHERE id = $1`, [cityHook.id]);
    expect(stored.rows[0].row).not.toContain(cityHook.secret.slice(6));

    await activateSafeguards(t, w, w.cityToken); // safeguards.verified → city
    const person = recordBody({ fullName: '通知 三郎', fullNameKana: 'ツウチ サブロウ', birthDate: '1979-09-09' });
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(person).expect(201);
    const created = await t.http
      .post(`${API}/requests`)
      .set(bearer(w.cityToken))
      .set('Idempotency-Key', idemKey())
      .send(requestBody({ recordRef: rec.body.recordRef }, { purpose: 'ordinance_program', categories: ['identity', 'offense'], legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例第17条' } }))
      .expect(201); // request.created → facility
    const id = created.body.id as string;
    await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.supervisor.token)).send({ decision: 'approve', reason: '一次承認' }).expect(200); // second_approval_required → facility
    await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.supervisor2.token)).send({ decision: 'approve', reason: '二次承認' }).expect(200); // decided → city
    await t.http.post(`${API}/requests/${id}/revoke`).set(bearer(w.officer.token)).send({ reason: '同意の撤回' }).expect(200); // revoked → city

    await waitFor('five deliveries', () => rx.at('/facility').length >= 2 && rx.at('/city').length >= 3);
    await new Promise((r) => setTimeout(r, 1000)); // nothing more may come

    const check = (path: string, secret: string, expected: string[]) => {
      const got = rx.at(path);
      const bodies = got.map((r) => {
        expect(r.headers['content-type']).toBe('application/json');
        expect(r.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
        expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
        expect(r.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
        return verify(secret, r);
      });
      // Each webhook-id once, each event type once.
      expect(new Set(got.map((r) => r.headers['webhook-id'])).size).toBe(got.length);
      expect(bodies.map((b) => b.type).sort()).toEqual([...expected].sort());
      return bodies;
    };
    const facilityBodies = check('/facility', facilityHook.secret, ['request.created', 'request.second_approval_required']);
    const cityBodies = check('/city', cityHook.secret, ['safeguards.verified', 'request.decided', 'request.revoked']);
    // A secret of another endpoint does not verify.
    expect(verifies(facilityHook.secret, rx.at('/city')[0]!)).toBe(false);

    for (const b of [...facilityBodies, ...cityBodies]) {
      expect(Object.keys(b).sort()).toEqual(['data', 'timestamp', 'type']);
      expect(new Date(b.timestamp).toISOString()).toBe(b.timestamp);
    }
    expect(facilityBodies.find((b) => b.type === 'request.created')!.data).toMatchObject({ requestId: id, status: 'pending', holderOrganizationId: w.facility.id });
    expect(cityBodies.find((b) => b.type === 'request.decided')!.data).toMatchObject({ requestId: id, status: 'approved', decision: 'approved' });
    expect(cityBodies.find((b) => b.type === 'request.revoked')!.data).toEqual({ requestId: id, status: 'revoked' });

    // Nothing about the person, in any delivery, in any form.
    const everything = rx.received.map((r) => r.body + JSON.stringify(r.headers)).join('\n');
    const plan = person.plannedResidence as { address: string };
    for (const value of [person.fullName, person.fullNameKana, person.birthDate, plan.address, '通知', '三郎', 'ツウチ', '1979'] as string[]) expect(everything).not.toContain(value);
    for (const b of [...facilityBodies, ...cityBodies])
      for (const key of Object.keys(b.data)) expect(key).not.toMatch(/name|birth|address|sex|kana|phone|note/i);

    // The delivery log agrees: one delivery per event, one successful attempt each, ids as sent.
    const log = await deliveries(w.cityToken, cityHook.id);
    expect(log).toHaveLength(3);
    for (const d of log) {
      expect(d).toMatchObject({ status: 'succeeded', attempts: [{ statusCode: 200, error: null }] });
      expect(rx.at('/city').map((r) => r.headers['webhook-id'])).toContain(d.messageId);
    }
    // Another organisation's webhook looks missing, and the probe is on record.
    const probe = await t.http.get(`${API}/webhooks/${cityHook.id}/deliveries`).set(bearer(w.otherCityToken)).expect(404);
    const missing = await t.http.get(`${API}/webhooks/${randomUUID()}/deliveries`).set(bearer(w.otherCityToken)).expect(404);
    expect([probe.body.type, probe.body.detail]).toEqual([missing.body.type, missing.body.detail]);
    const denied = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'webhook.deliveries' AND outcome = 'denied' AND resource_id = $1`, [cityHook.id]);
    expect(denied.rows[0].n).toBe(1);
    // The secret never reached a log line.
    expect(t.logs.join('\n')).not.toContain('whsec_');
  });

  it('retries a failing receiver with the same webhook-id and the same body until it answers 2xx', async () => {
    const hook = await register(w.cityToken, '/flaky', ['request.decided']);
    rx.answer('/flaky', (n) => ({ status: n <= 3 ? 500 : 204 }));
    const ping = await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
    await waitFor('four attempts', () => rx.at('/flaky').length >= 4);
    const got = rx.at('/flaky');
    expect(got.map((r) => r.headers['webhook-id'])).toEqual(Array(4).fill(ping.body.messageId));
    expect(new Set(got.map((r) => r.body)).size).toBe(1);
    for (const r of got) expect(verify(hook.secret, r)).toMatchObject({ type: 'webhook.ping', data: { subscriptionId: hook.id } });
    const [d] = await waitFor('the log', async () => {
      const l = await deliveries(w.cityToken, hook.id);
      return l[0]?.status === 'succeeded' ? l : undefined;
    });
    expect(d!.attempts.map((a) => a.statusCode)).toEqual([500, 500, 500, 204]);
    expect(d!.attempts.map((a) => a.error)).toEqual(['HTTP 500', 'HTTP 500', 'HTTP 500', null]);
  });

  it('fails a delivery after the last retry, counts it, and sends it again with the same webhook-id on redelivery', async () => {
    const hook = await register(w.cityToken, '/down', ['request.decided']);
    rx.answer('/down', () => ({ status: 503 }));
    const before = await t.http.get('/metrics');
    const failedBefore = metricValue(before.text, 'oie_webhook_deliveries_total', { outcome: 'failed' }) ?? 0;
    const ping = await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
    const [d] = await waitFor('failed', async () => {
      const l = await deliveries(w.cityToken, hook.id);
      return l[0]?.status === 'failed' ? l : undefined;
    });
    expect(d!.attempts).toHaveLength(4); // the first attempt and three retries (the test's schedule)
    const after = await t.http.get('/metrics');
    expect(metricValue(after.text, 'oie_webhook_deliveries_total', { outcome: 'failed' })).toBe(failedBefore + 1);
    expect(metricValue(after.text, 'oie_webhook_deliveries_total', { outcome: 'failed_attempt' })).toBeGreaterThanOrEqual(3);

    rx.answer('/down', () => ({ status: 200 }));
    const again = await t.http.post(`${API}/webhooks/${hook.id}/deliveries/${d!.id}/redeliver`).set(bearer(w.cityToken)).expect(202);
    expect(again.body.messageId).toBe(ping.body.messageId);
    await waitFor('redelivered', async () => (await deliveries(w.cityToken, hook.id))[0]?.status === 'succeeded');
    const got = rx.at('/down');
    expect(got).toHaveLength(5);
    expect(new Set(got.map((r) => r.headers['webhook-id']))).toEqual(new Set([ping.body.messageId]));
    // A pending delivery cannot be sent twice at once.
    const pending = await t.db.query(`UPDATE webhook_deliveries SET status = 'pending' WHERE id = $1`, [d!.id]);
    expect(pending.rowCount).toBe(1);
    const conflict = await t.http.post(`${API}/webhooks/${hook.id}/deliveries/${d!.id}/redeliver`).set(bearer(w.cityToken)).expect(409);
    expect(conflict.body.type).toMatch(/\/delivery-pending$/);
    await t.db.query(`UPDATE webhook_deliveries SET status = 'succeeded' WHERE id = $1`, [d!.id]);
  });

  it('emits nothing when the transaction rolls back: no event row, no delivery', async () => {
    const hook = await register(w.cityToken, '/rollback', ['request.revoked']);
    const txHost: TransactionHost<TypeOrmAdapter> = t.app.get(TransactionHost);
    const events = t.app.get(DomainEventsService);
    const cls = t.app.get(ClsService);
    const emitThen = (subject: string, fail: boolean) =>
      cls.run(() =>
        txHost.withTransaction(async () => {
          await events.emit('request.revoked', { type: 'request', id: subject }, [w.city.id], { requestId: subject, status: 'revoked' });
          if (fail) await txHost.tx.query('SELECT 1 / 0');
        }),
      );
    const rolledBack = randomUUID();
    await expect(emitThen(rolledBack, true)).rejects.toThrow(/division by zero/);
    // The same work committed is delivered: the check below can fail.
    const committed = randomUUID();
    await emitThen(committed, false);
    await waitFor('the committed event', () => rx.at('/rollback').length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    const rows = await t.db.query(`SELECT subject_id FROM domain_events WHERE subject_id = ANY($1::uuid[])`, [[rolledBack, committed]]);
    expect(rows.rows.map((r) => r.subject_id)).toEqual([committed]);
    expect(rx.at('/rollback').map((r) => verify(hook.secret, r).data.requestId)).toEqual([committed]);
    const log = await deliveries(w.cityToken, hook.id);
    expect(log).toHaveLength(1);

    // Through the API: a decision refused (already decided) changes nothing and emits nothing.
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()).expect(201);
    const req = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: rec.body.recordRef })).expect(201);
    await t.http.post(`${API}/requests/${req.body.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'reject', reason: '範囲外' }).expect(200);
    const n = async () => (await t.db.query(`SELECT count(*)::int AS n FROM domain_events WHERE subject_id = $1`, [req.body.id])).rows[0].n as number;
    const eventsBefore = await n();
    await t.http.post(`${API}/requests/${req.body.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: '再度' }).expect(409);
    expect(await n()).toBe(eventsBefore);
  });

  it('signs with the old and the new secret for 24 h after a rotation, then with the new one only', async () => {
    const clock = t.app.get(Clock);
    const hook = await register(w.cityToken, '/rotate', ['request.revoked']);
    const rotated = await t.http.post(`${API}/webhooks/${hook.id}/rotate-secret`).set(bearer(w.cityToken)).expect(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt) - clock.now().getTime()).toBeGreaterThan(23.9 * HOUR);

    const pingAndGet = async () => {
      const n = rx.at('/rotate').length;
      await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
      return waitFor('ping', () => rx.at('/rotate')[n]);
    };
    const during = await pingAndGet();
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifies(hook.secret, during)).toBe(true);
    expect(verifies(rotated.body.secret, during)).toBe(true);

    clock.advance(23 * HOUR);
    expect(verifies(hook.secret, await pingAndGet())).toBe(true);
    clock.advance(HOUR + 60_000);
    try {
      const later = await pingAndGet();
      expect(later.headers['webhook-signature']!.split(' ')).toHaveLength(1);
      expect(verifies(rotated.body.secret, later)).toBe(true);
      expect(verifies(hook.secret, later)).toBe(false);
    } finally {
      clock.set(new Date());
    }
  });

  it('does not follow redirects: a 302 is a failed attempt and the target is never called', async () => {
    const hook = await register(w.cityToken, '/moved', ['request.revoked']);
    rx.answer('/moved', () => ({ status: 302, headers: { location: rx.url('/moved-here') } }));
    await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
    const [d] = await waitFor('attempted', async () => {
      const l = await deliveries(w.cityToken, hook.id);
      return l[0]?.attempts.length ? l : undefined;
    });
    expect(d!.attempts[0]).toMatchObject({ statusCode: 302, error: 'redirect not followed (HTTP 302)' });
    await waitFor('failed', async () => (await deliveries(w.cityToken, hook.id))[0]?.status === 'failed');
    expect(rx.at('/moved-here')).toHaveLength(0);
  });

  it('refuses private, loopback and plain-http URLs at registration, and a name that resolves to loopback at delivery time', async () => {
    for (const url of ['https://10.0.0.1/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/hook', 'https://2130706434/hook', 'http://hooks.example.com/hook', 'https://user:pw@hooks.example.com/'])  {
      const res = await t.http.post(`${API}/webhooks`).set(bearer(w.cityToken)).send({ url, events: ['request.decided'] }).expect(422);
      expect(res.body.type).toMatch(/\/webhook-url-not-allowed$/);
      expect(res.body.errors).toEqual([{ field: 'url', message: expect.any(String) }]);
    }
    const refusals = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'webhook.create' AND outcome = 'denied' AND reason_code = 'webhook-url-not-allowed'`);
    expect(refusals.rows[0].n).toBe(6);

    // 127.0.0.1 is on the allowed list; `localhost` is not, and resolves to 127.0.0.1.
    const viaName = await t.http.post(`${API}/webhooks`).set(bearer(w.cityToken)).send({ url: `https://localhost:${rx.port}/by-name`, events: ['request.revoked'] }).expect(201);
    await t.http.post(`${API}/webhooks/${viaName.body.id}/ping`).set(bearer(w.cityToken)).expect(202);
    const [d] = await waitFor('refused', async () => {
      const l = await deliveries(w.cityToken, viaName.body.id);
      return l[0]?.attempts.length ? l : undefined;
    });
    expect(d!.attempts[0]).toMatchObject({ statusCode: null, error: expect.stringMatching(/^address not allowed/) });
    expect(rx.at('/by-name')).toHaveLength(0);
  });

  it('disables an endpoint whose every attempt has failed for 5 days, on record, and a successful ping enables it again', async () => {
    const clock = t.app.get(Clock);
    const hook = await register(w.cityToken, '/dead', ['request.revoked']);
    rx.answer('/dead', () => ({ status: 500 }));
    try {
      await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
      await waitFor('failing', async () => (await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(w.cityToken))).body.failingSince);
      clock.advance(5 * 24 * HOUR + 60_000);
      await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
      const disabled = await waitFor('disabled', async () => {
        const b = (await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(w.cityToken))).body;
        return b.status === 'disabled' ? b : undefined;
      });
      expect(disabled.disabledAt).toEqual(expect.any(String));
      const audit = await t.db.query(`SELECT organization_id, details FROM audit_events WHERE action = 'webhook.disable' AND resource_id = $1`, [hook.id]);
      expect(audit.rows).toEqual([{ organization_id: null, details: expect.objectContaining({ organizationId: w.city.id }) }]);
      await waitFor('warn line', () => t.logs.some((l) => l.includes('webhook endpoint disabled') && l.includes(hook.id) && JSON.parse(l).level === 40));
      // Events are not delivered to a disabled endpoint; a redelivery is refused until it is enabled.
      const some = await waitFor('a finished delivery', async () => (await deliveries(w.cityToken, hook.id)).find((x) => x.status !== 'pending'));
      const refused = await t.http.post(`${API}/webhooks/${hook.id}/deliveries/${some.id}/redeliver`).set(bearer(w.cityToken)).expect(409);
      expect(refused.body.type).toMatch(/\/webhook-disabled$/);

      rx.answer('/dead', () => ({ status: 200 }));
      await t.http.post(`${API}/webhooks/${hook.id}/ping`).set(bearer(w.cityToken)).expect(202);
      const back = await waitFor('enabled', async () => {
        const b = (await t.http.get(`${API}/webhooks/${hook.id}`).set(bearer(w.cityToken))).body;
        return b.status === 'active' ? b : undefined;
      });
      expect(back).toMatchObject({ failingSince: null, disabledAt: null });
    } finally {
      clock.set(new Date());
    }
  });

  it('lets an administrator manage any organisation’s webhooks and a client only its own', async () => {
    const byAdmin = await t.http.post(`${API}/webhooks`).set(bearer(w.admin)).send({ url: rx.url('/admin-made'), events: ['safeguards.verified'], organizationId: w.otherCity.id }).expect(201);
    expect(byAdmin.body.organizationId).toBe(w.otherCity.id);
    await t.http.post(`${API}/webhooks`).set(bearer(w.admin)).send({ url: rx.url('/x'), events: ['safeguards.verified'] }).expect(422);
    const mine = await t.http.get(`${API}/webhooks`).set(bearer(w.otherCityToken)).expect(200);
    expect(mine.body.items.map((h: { id: string }) => h.id)).toEqual([byAdmin.body.id]);
    await t.http.get(`${API}/webhooks/${byAdmin.body.id}`).set(bearer(w.cityToken)).expect(404);
    await t.http.post(`${API}/webhooks`).set(bearer(w.cityToken)).send({ url: rx.url('/x'), events: ['safeguards.verified'], organizationId: w.otherCity.id }).expect(404);
    await t.http.get(`${API}/webhooks?organizationId=${w.otherCity.id}`).set(bearer(w.cityToken)).expect(404);
    const all = await t.http.get(`${API}/webhooks?organizationId=${w.otherCity.id}`).set(bearer(w.admin)).expect(200);
    expect(all.body.items).toHaveLength(1);
    await t.http.delete(`${API}/webhooks/${byAdmin.body.id}`).set(bearer(w.otherCityToken)).expect(204);
    await t.http.get(`${API}/webhooks/${byAdmin.body.id}`).set(bearer(w.admin)).expect(404);
    // Staff other than administrators have no webhook routes.
    await t.http.get(`${API}/webhooks`).set(bearer(w.officer.token)).expect(403);
  });

  it('reports the oldest pending work at scrape time', async () => {
    const m = await t.http.get('/metrics').expect(200);
    expect(metricValue(m.text, 'oie_webhook_oldest_pending_seconds', {})).toEqual(expect.any(Number));
    expect(metricValue(m.text, 'oie_webhook_deliveries_total', { outcome: 'succeeded' })).toBeGreaterThanOrEqual(5);
  });
});
