import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, safeguardsBody, World } from '../support/exchange-fixtures';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp, totpFor } from '../support/test-app';
import { AuditLogService } from '../../src/audit/audit-log.service';

const SHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Staff {
  id: string;
  username: string;
  password: string;
  secret: string;
  token: string;
}

describe('admin console in a real browser', () => {
  let t: TestApp;
  let w: World;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Signs a staff member in through the console form, with the TOTP code of a later time step. */
  async function signInAs(staff: Staff): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('ユーザー名').fill(staff.username);
    await page.getByLabel('パスワード').fill(staff.password);
    // The API enrolment used the current time step; a code is never accepted twice, so use the next.
    await page.getByLabel('確認コード（6桁）').fill(totpFor(staff.secret, 1));
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    return { ctx, page };
  }

  /** The decision form leads to a summary; nothing is decided until it is confirmed there. */
  async function decideThroughSummary(page: Page): Promise<void> {
    await page.getByRole('button', { name: '確認画面へ進む' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('決裁内容の確認');
    await page.getByRole('button', { name: 'この内容で決裁する' }).click();
    await page.waitForLoadState('load');
  }

  /** A case officer of the facility who has not used the console yet (each TOTP step counts once). */
  const freshOfficer = () => createStaff(t, w.admin, w.facility.id, ['case_officer']);

  async function newRequest(body: Record<string, unknown>, token = w.cityToken): Promise<string> {
    const res = await t.http.post(`${API}/requests`).set(bearer(token)).set('Idempotency-Key', idemKey()).send(body).expect(201);
    return res.body.id as string;
  }

  it('lets a case officer find an API request in the queue and approve it narrowed; the municipality gets exactly those fields', async () => {
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '画面 太郎', fullNameKana: 'ガメン タロウ', birthDate: '1982-05-05' })).expect(201);
    const id = await newRequest(requestBody({ recordRef: rec.body.recordRef }));
    const { ctx, page } = await signInAs(w.officer as unknown as Staff);
    expect(await page.locator('h1').textContent()).toBe('自庁宛ての情報提供依頼');
    expect(await page.title()).not.toContain('画面');
    const row = page.locator(`a[href="/console/requests/${id}"]`);
    expect(await row.count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'queue.png'), fullPage: true });
    await row.click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/requests/${id}`);
    expect(await page.locator('body').textContent()).not.toContain('画面 太郎'); // the record is not shown until opened
    await page.screenshot({ path: join(SHOTS, 'request.png'), fullPage: true });
    await page.getByLabel('本人特定情報').check();
    await page.getByLabel('釈放情報').uncheck();
    await page.getByLabel('支援の必要性').uncheck();
    await page.getByLabel('取得回数の上限').fill('2');
    await page.getByLabel('理由', { exact: true }).fill('同意書を確認。本人特定と帰住予定地に限定。');
    await page.getByLabel('承認する').check();
    await decideThroughSummary(page);
    expect(await page.locator('.flash').textContent()).toContain('決裁しました');
    const got = await t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    expect(got.body.categories).toEqual(['identity', 'residence']);
    expect(Object.keys(got.body.data).sort()).toEqual(['identity', 'residence']);
    await ctx.close();
  });

  it('runs the second approval of a sensitive request by a different supervisor, who sees the first', async () => {
    await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '要配 次郎', birthDate: '1970-01-20' })).expect(201);
    const id = await newRequest(requestBody({ fullName: '要配 次郎', birthDate: '1970-01-20' }, { purpose: 'ordinance_program', categories: ['identity', 'offense'], legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例第17条' } }));
    const first = await signInAs(w.supervisor as unknown as Staff);
    await first.page.goto(`${base}/console/requests/${id}`);
    await first.page.getByLabel('理由', { exact: true }).fill('条例に基づく照会。一次承認。');
    await first.page.getByLabel('承認する').check();
    await decideThroughSummary(first.page);
    expect(await first.page.locator('.status').first().textContent()).toBe('二次承認待ち');
    expect(await first.page.locator('form[action$="/decide"]').count()).toBe(0); // the same supervisor cannot give the second
    await first.ctx.close();

    const second = await signInAs(w.supervisor2 as unknown as Staff);
    await second.page.goto(`${base}/console/requests/${id}`);
    expect(await second.page.locator('.decisions').textContent()).toContain('一次承認');
    expect(await second.page.locator('.warn').first().textContent()).toContain('二次承認');
    await second.page.getByLabel('理由', { exact: true }).fill('二次承認。');
    await second.page.getByLabel('承認する').check();
    await decideThroughSummary(second.page);
    expect(await second.page.locator('.status').first().textContent()).toBe('承認');
    await second.ctx.close();
    const got = await t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    expect(got.body.data.offense).toMatchObject({ category: 'theft' });
  });

  it('lets a reviewer verify safeguards', async () => {
    const put = await t.http.put(`${API}/safeguards`).set(bearer(w.prefectureToken)).send(safeguardsBody()).expect(201);
    const { ctx, page } = await signInAs(w.reviewer as unknown as Staff);
    expect(page.url()).toBe(`${base}/console/safeguards`);
    await page.locator(`a[href="/console/safeguards/${put.body.id}"]`).first().click();
    await page.waitForLoadState('load');
    await page.getByRole('button', { name: '確認して有効にする' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.flash').textContent()).toContain('有効にしました');
    const current = await t.http.get(`${API}/safeguards/current`).set(bearer(w.prefectureToken)).expect(200);
    expect(current.body.active).toMatchObject({ id: put.body.id, status: 'active' });
    await ctx.close();
  });

  it('lets an auditor find the disclosure event and see the chain verify', async () => {
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    const auditor = await createStaff(t, w.admin, ministry.id, ['auditor']);
    await t.app.get(AuditLogService).sealNow();
    const { ctx, page } = await signInAs(auditor);
    expect(page.url()).toBe(`${base}/console/audit`);
    await page.getByLabel('操作', { exact: true }).selectOption('disclosure.retrieve');
    await page.getByRole('button', { name: '検索' }).click();
    await page.waitForLoadState('load');
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.count()).toBeGreaterThanOrEqual(2);
    expect(await rows.first().textContent()).toContain('disclosure.retrieve');
    await page.screenshot({ path: join(SHOTS, 'audit.png'), fullPage: true });
    await page.getByRole('button', { name: '完全性を検証する' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('#chain-result').textContent()).toContain('検証に成功しました');
    await ctx.close();
  });

  it('refuses a form posted without its CSRF token', async () => {
    const { ctx, page } = await signInAs(await freshOfficer());
    expect(page.url()).toBe(`${base}/console/queue`);
    const id = await newRequest(requestBody({ fullName: '法務 太郎', birthDate: '1980-04-01' })).catch(async () => {
      await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()).expect(201);
      return newRequest(requestBody({ fullName: '法務 太郎', birthDate: '1980-04-01' }));
    });
    const res = await page.request.post(`${base}/console/requests/${id}/decide`, { form: { decision: 'reject', reason: 'csrf test' }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const status = await t.http.get(`${API}/requests/${id}`).set(bearer(w.cityToken)).expect(200);
    expect(status.body.status).toBe('pending');
    await ctx.close();
  });

  it('lets no signed-out session reach any page', async () => {
    const { ctx, page } = await signInAs(await freshOfficer());
    const cookies = await ctx.cookies();
    await page.getByRole('button', { name: 'サインアウト' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/login`);
    for (const path of ['/console/queue', '/console/audit', '/console/admin', '/console/safeguards']) {
      await page.goto(`${base}${path}`);
      expect(page.url()).toBe(`${base}/console/login`);
    }
    // The old cookie, replayed, is dead too.
    const replay = await browser.newContext();
    await replay.addCookies(cookies);
    const p2 = await replay.newPage();
    await p2.goto(`${base}/console/queue`);
    expect(p2.url()).toBe(`${base}/console/login`);
    await replay.close();
    await ctx.close();
  });

  it('switches the whole page to English and back', async () => {
    const { ctx, page } = await signInAs(await freshOfficer());
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForLoadState('load');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Requests routed to your agency');
    expect(await page.locator('nav.main-nav').textContent()).toContain('Requests');
    await page.goto(`${base}/console/queue`);
    expect(await page.locator('h1').textContent()).toBe('Requests routed to your agency'); // remembered
    await page.getByRole('link', { name: '日本語' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('自庁宛ての情報提供依頼');
    await page.setViewportSize({ width: 400, height: 800 });
    await page.screenshot({ path: join(SHOTS, 'queue-narrow.png'), fullPage: true });
    await ctx.close();
  });

  it('enrols TOTP at first console sign-in', async () => {
    const username = `console.new.${Date.now().toString(36)}`;
    const password = 'a-long-enough-password';
    await t.http.post(`${API}/users`).set(bearer(w.admin)).send({ username, displayName: '新任 担当', organizationId: w.facility.id, roles: ['case_officer'], password }).expect(201);
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('ユーザー名').fill(username);
    await page.getByLabel('パスワード').fill(password);
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/mfa`);
    expect(await page.locator('.qr svg').count()).toBe(1);
    const secret = (await page.locator('code.secret').textContent())!.trim();
    await page.getByLabel('確認コード（6桁）').fill(totpFor(secret));
    await page.getByRole('button', { name: '登録して続ける' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/queue`);
    await ctx.close();
  });
});
