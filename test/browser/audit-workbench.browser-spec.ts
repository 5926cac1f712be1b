import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityViolations, launchBrowser, SHOTS } from '../support/browser';
import { AuditLogService } from '../../src/audit/audit-log.service';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from '../support/exchange-fixtures';
import { API, bearer, createTestApp, signIn, TestApp, totpFor } from '../support/test-app';

const SUBJECT = '監査 画面子';

interface Staff {
  id: string;
  username: string;
  password: string;
  secret: string;
}

/** How far the page is wider than the window (0: nothing to scroll sideways). */
const overflow = (page: Page) => page.evaluate('document.documentElement.scrollWidth - window.innerWidth') as Promise<number>;

describe("auditor's workbench in a real browser", () => {
  let t: TestApp;
  let w: World;
  let base: string;
  let browser: Browser;
  let decider: Staff;
  let requestId: string;
  let recordId: string;

  async function staff(organizationId: string, roles: string[], displayName: string): Promise<Staff> {
    const username = `wbb_${roles[0]}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
    const password = `pw-${username}-long-enough`;
    const res = await t.http.post(`${API}/users`).set(bearer(w.admin)).send({ username, displayName, organizationId, roles, password }).expect(201);
    const { secret } = await signIn(t, username, password);
    return { id: res.body.id, username, password, secret };
  }

  async function auditor(): Promise<Staff> {
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    return staff(ministry.id, ['auditor'], '監査 一郎');
  }

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    decider = await staff(w.facility.id, ['case_officer'], '決裁 花子');
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: SUBJECT, birthDate: '1985-05-05' })).expect(201);
    recordId = rec.body.id;
    const req = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: rec.body.recordRef })).expect(201);
    requestId = req.body.id;
    const login = await t.http.post(`${API}/auth/login`).send({ username: decider.username, password: decider.password, totp: totpFor(decider.secret, 1) }).expect(200);
    await t.http.post(`${API}/requests/${requestId}/decisions`).set(bearer(login.body.access_token)).send({ decision: 'reject', reason: '同意の範囲外' }).expect(200);
    await t.http.post(`${API}/requests/${requestId}/decisions`).set(bearer(login.body.access_token)).send({ decision: 'reject', reason: '再度' }).expect(409);
    await t.app.get(AuditLogService).sealNow();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signInAs(who: Staff, width = 1280): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width, height: 800 }, locale: 'ja-JP' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('ユーザー名').fill(who.username);
    await page.getByLabel('パスワード').fill(who.password);
    await page.getByLabel('確認コード（6桁）').fill(totpFor(who.secret, 1));
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/audit`);
    return { ctx, page };
  }

  it('picks an operation and an actor by name, shows labels and names, and links to the request and the record (Japanese)', async () => {
    const { ctx, page } = await signInAs(await auditor());
    expect(page.url()).toBe(`${base}/console/audit`);
    const picker = page.getByLabel('操作', { exact: true });
    expect(await picker.locator('optgroup[label="決裁"] option').allTextContents()).toEqual(['決裁（すべて）', '承認', '一次承認（二次承認待ち）', '却下', '決裁の試み（拒否）']);
    await picker.selectOption('decision');
    await page.getByLabel('操作者の氏名・名称').fill('花子');
    await page.getByRole('button', { name: '検索' }).click();
    await page.waitForLoadState('load');
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.count()).toBe(2);
    const text = (await rows.allTextContents()).join('\n');
    expect(text).toContain('決裁の試み（拒否）');
    expect(text).toContain('却下');
    expect(text).toContain('request.decide'); // the code stays at hand
    expect(text).toContain('決裁 花子 (大阪刑務所)');
    expect(text).not.toMatch(/user:/);
    expect(await page.locator('body').textContent()).not.toContain(SUBJECT);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-workbench.png'), fullPage: true });

    await rows.first().getByRole('link', { name: /依頼/ }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/audit/requests/${requestId}`);
    expect(await page.locator('h1').textContent()).toBe('依頼（監査用の表示）');
    expect(await page.locator('body').textContent()).toContain('大阪刑務所');
    expect(await page.locator('.decisions').textContent()).toContain('決裁 花子');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('link', { name: '記録を開く（監査ログに記録されます）' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/audit/records/${recordId}`);
    // The record as the log knows it: its reference and holder, never the fields about the person.
    expect(await page.locator('body').textContent()).not.toContain(SUBJECT);
    expect(await page.locator('dl.facts').textContent()).toContain('大阪刑務所');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByRole('link', { name: /戻る/ }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/audit?record=${recordId}`);
    // Both views were reads on record, by this auditor.
    const reads = await t.db.query(`SELECT action FROM audit_events WHERE details->>'view' = 'audit' ORDER BY id`);
    expect(reads.rows.map((r) => r.action)).toEqual(['request.read', 'record.read']);
    await ctx.close();
  });

  it('records a review and lists it with its covering checkpoint once sealed (English)', async () => {
    const { ctx, page } = await signInAs(await auditor());
    await page.goto(`${base}/console/audit/reviews?lang=en`);
    expect(await page.locator('h1').textContent()).toBe('Audit review sign-offs');
    expect(await page.locator('#r-conclusion-help').textContent()).toContain('no names');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('A period').check();
    await page.getByLabel('From').fill('2026-11-01');
    await page.getByLabel('To', { exact: true }).fill('2026-11-30');
    await page.getByLabel('Conclusion').fill('Decisions and refusals of November checked; nothing irregular.');
    await page.getByRole('button', { name: 'Record the review' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.flash').textContent()).toBe('The review is recorded.');
    const row = page.locator('table.reviews tbody tr').first();
    expect(await row.textContent()).toContain('Not yet sealed');
    expect(await row.textContent()).toContain('監査 一郎 (法務省)');
    await t.app.get(AuditLogService).sealNow();
    await page.reload();
    expect(await page.locator('table.reviews tbody tr').first().textContent()).toMatch(/Events \d+/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-reviews.png'), fullPage: true });
    // The audit page in English: group labels in the picker, labels in the results.
    await page.goto(`${base}/console/audit?action=decision`);
    expect(await page.getByLabel('Action', { exact: true }).locator('option:checked').textContent()).toBe('Decision (all)');
    expect(await page.locator('table.audit').textContent()).toContain('Decision attempt (refused)');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-workbench-en.png'), fullPage: true });
    await ctx.close();
  });

  it('works at 390 px wide', async () => {
    const { ctx, page } = await signInAs(await auditor(), 390);
    for (const path of ['/console/audit?action=decision', `/console/audit/requests/${requestId}`, `/console/audit/records/${recordId}`, '/console/audit/reviews']) {
      await page.goto(`${base}${path}`);
      expect([path, await overflow(page)]).toEqual([path, 0]);
      expect(await accessibilityViolations(page)).toEqual([]);
      if (path.includes('action=')) await page.screenshot({ path: join(SHOTS, 'audit-workbench-narrow.png'), fullPage: true });
    }
    await page.screenshot({ path: join(SHOTS, 'audit-reviews-narrow.png'), fullPage: true });
    await ctx.close();
  });
});
