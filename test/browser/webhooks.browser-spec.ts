import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityViolations } from '../support/axe';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from '../support/exchange-fixtures';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp, totpFor } from '../support/test-app';
import { WebhookReceiver, waitFor } from '../support/webhook-receiver';

const SHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Staff {
  username: string;
  password: string;
  secret: string;
}

describe('webhooks page of the console in a real browser', () => {
  let t: TestApp;
  let w: World;
  let rx: WebhookReceiver;
  let base: string;
  let browser: Browser;
  let secrets: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    rx = await new WebhookReceiver().start();
    t = await createTestApp({
      CONSOLE_SECURE_COOKIE: 'false',
      WEBHOOK_DELIVERY_ENABLED: 'true',
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      WEBHOOK_RETRY_SCHEDULE_MS: '100',
      WEBHOOK_DISPATCH_INTERVAL_MS: '100',
    });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    // The facility is told of new requests; one of its endpoints has been failing and is disabled.
    const ok = await t.http.post(`${API}/webhooks`).set(bearer(w.facilityToken)).send({ url: rx.url('/facility'), events: ['request.created'], description: '受付システム' }).expect(201);
    const dead = await t.http.post(`${API}/webhooks`).set(bearer(w.facilityToken)).send({ url: rx.url('/old'), events: ['request.created'] }).expect(201);
    rx.answer('/old', () => ({ status: 500 }));
    secrets = [ok.body.secret, dead.body.secret];
    await activateSafeguards(t, w, w.cityToken);
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '画面 四郎', birthDate: '1984-04-04' })).expect(201);
    await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: rec.body.recordRef })).expect(201);
    await waitFor('deliveries finished', async () => {
      const r = await t.db.query(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE status IN ('succeeded', 'failed')`);
      return r.rows[0].n >= 2;
    });
    await t.db.query(`UPDATE webhook_subscriptions SET status = 'disabled', disabled_at = now(), failing_since = now() - interval '5 days' WHERE id = $1`, [dead.body.id]);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await rx?.stop();
  });

  async function signInAs(staff: Staff): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('ユーザー名').fill(staff.username);
    await page.getByLabel('パスワード').fill(staff.password);
    await page.getByLabel('確認コード（6桁）').fill(totpFor(staff.secret, 1));
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    return { ctx, page };
  }

  it('shows a supervisor their agency’s endpoints, the disabled one explained, and recent deliveries, accessibly and in both languages', async () => {
    const supervisor = await createStaff(t, w.admin, w.facility.id, ['supervisor']);
    const { ctx, page } = await signInAs(supervisor);
    await page.getByRole('link', { name: 'Webhook', exact: true }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/webhooks`);
    expect(await page.locator('h1').textContent()).toBe('Webhook（通知）');
    const endpoints = page.locator('table[aria-labelledby="wh-subs"] tbody tr');
    expect(await endpoints.count()).toBe(2);
    expect(await page.locator('.warn').textContent()).toContain('停止');
    expect(await page.locator('.status-disabled').count()).toBe(1);
    const deliveries = page.locator('table[aria-labelledby="wh-deliveries"] tbody tr');
    expect(await deliveries.count()).toBe(2);
    const text = (await deliveries.allTextContents()).join('\n');
    expect(text).toContain('request.created');
    expect(text).toContain('成功');
    expect(text).toContain('HTTP 500');
    const body = (await page.locator('body').textContent()) ?? '';
    for (const s of secrets) expect(body).not.toContain(s.slice(6, 20));
    expect(body).not.toContain('画面 四郎');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'webhooks.png'), fullPage: true });

    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('Webhooks');
    expect(await page.locator('table[aria-labelledby="wh-deliveries"]').textContent()).toContain('Succeeded');
    expect(await accessibilityViolations(page)).toEqual([]);
    // Another organisation's webhooks are not the supervisor's to see.
    const other = await page.goto(`${base}/console/webhooks?org=${w.city.id}&lang=ja`);
    expect(other!.url()).toBe(`${base}/console/webhooks?e=notfound`);
    expect(await page.locator('.error').textContent()).toContain('見つからない');
    await ctx.close();
  });

  it('lets an administrator pick any organisation; a case officer has no such page', async () => {
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    const admin = await createStaff(t, w.admin, ministry.id, ['admin']);
    const { ctx, page } = await signInAs(admin);
    await page.goto(`${base}/console/webhooks`);
    expect(await page.locator('.empty').textContent()).toContain('団体を選んで');
    await page.getByLabel('団体').selectOption({ label: '大阪刑務所 (矯正施設)' });
    await page.getByRole('button', { name: '表示' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/webhooks?org=${w.facility.id}`);
    expect(await page.locator('table[aria-labelledby="wh-subs"] tbody tr').count()).toBe(2);
    expect(await accessibilityViolations(page)).toEqual([]);
    await ctx.close();

    const officer = await createStaff(t, w.admin, w.facility.id, ['case_officer']);
    const o = await signInAs(officer);
    expect(await o.page.getByRole('link', { name: 'Webhook', exact: true }).count()).toBe(0);
    const res = await o.page.goto(`${base}/console/webhooks`);
    expect(res!.status()).toBe(403);
    await o.ctx.close();
  });
});
