import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { accessibilityViolations, consoleSignInPage, launchBrowser, SHOTS } from '../support/browser';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from '../support/exchange-fixtures';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp } from '../support/test-app';

describe('statistics page of the console in a real browser', () => {
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
    const ref = (await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()).expect(201)).body.recordRef as string;
    // 12 for reintegration support (11 approved), 2 for welfare coordination (suppressed, with a complement).
    const ask = async (over: Record<string, unknown> = {}) =>
      (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: ref }, over)).expect(201)).body.id as string;
    for (let i = 0; i < 12; i++) {
      const id = await ask();
      if (i < 11) await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: '支援調整に必要' }).expect(200);
    }
    for (let i = 0; i < 2; i++) await ask({ purpose: 'welfare_coordination' });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows a reviewer the table, the server-drawn chart and the CSV, in Japanese and English, accessible at desktop width and 390 px', async () => {
    const reviewer = await createStaff(t, w.admin, (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0].id, ['safeguard_reviewer']);
    const { ctx, page } = await consoleSignInPage(browser, base, reviewer);
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.reload();

    await page.locator('nav.main-nav').getByRole('link', { name: '統計' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toBe(`${base}/console/statistics`);
    expect(await page.locator('h1').textContent()).toBe('統計');
    await page.getByLabel('集計単位').selectOption('purpose');
    await page.getByRole('button', { name: '表示' }).click();
    await page.waitForLoadState('load');
    expect(page.url()).toContain('groupBy=purpose');

    // The table: 12 and 11 shown, the 2 and its complement (12 is the smallest other count) marked x.
    const rows = page.locator('table.stats tbody tr');
    expect(await rows.count()).toBe(3);
    expect((await rows.nth(0).locator('th, td').allTextContents()).slice(0, 3)).toEqual(['社会復帰支援', 'x', '11']);
    expect((await rows.nth(1).locator('th, td').allTextContents()).slice(0, 2)).toEqual(['福祉サービス等の利用調整', 'x']);
    expect(await page.locator('table.stats tfoot td').first().textContent()).toBe('14');
    expect(await page.locator('table.stats abbr[title="秘匿"]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('.stats-notes').textContent()).toContain('10件未満');

    // The chart: inline SVG from the server, named by title and desc, bars by class, no script.
    const svg = page.locator('svg.stats-chart');
    expect(await svg.count()).toBe(1);
    expect(await svg.getAttribute('role')).toBe('img');
    expect(await svg.locator('title').textContent()).toBe('区分ごとの依頼・承認・却下・提供の件数');
    expect(await svg.locator('rect.bar-approvals').count()).toBeGreaterThanOrEqual(2); // a legend swatch and the 11
    expect(await svg.locator('text.suppressed').count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('script, [style]').count()).toBe(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'statistics.png'), fullPage: true });

    // The CSV link answers the same table as a file.
    const href = await page.getByRole('link', { name: 'CSVでダウンロード' }).getAttribute('href');
    const csv = await ctx.request.get(`${base}${href}`);
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    expect(lines[1]).toMatch(/^"reintegration_support","社会復帰支援","Reintegration support",x,11,0,0,/);
    expect(lines[2]).toMatch(/^"welfare_coordination","福祉サービス等の利用調整","Welfare coordination",x,0,0,0,,x$/);

    // At 390 px: nothing wider than the screen (the table scrolls in its own focusable region).
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'statistics-narrow.png'), fullPage: true });

    // English, the same page.
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForLoadState('load');
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Statistics');
    expect(await page.locator('table.stats thead th').allTextContents()).toEqual(['Purpose', 'Requests', 'Approvals', 'Rejections', 'Disclosures', 'Median days to decision', 'Share overdue']);
    expect(await page.locator('table.stats tbody tr').first().locator('th').textContent()).toBe('Reintegration support');
    expect(await page.locator('svg.stats-chart title').textContent()).toBe('Requests, approvals, rejections and disclosures by group');
    expect(await page.locator('body').textContent()).not.toMatch(/reintegration_support|welfare_coordination|statsTitle/);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'statistics-en.png'), fullPage: true });

    // A bad period: the page says so, with no table.
    await page.goto(`${base}/console/statistics?from=2026-05-01&to=2026-04-01`);
    expect(await page.locator('.error').textContent()).toContain('not valid');
    expect(await page.locator('table.stats').count()).toBe(0);
    expect(cspErrors).toEqual([]);
    await ctx.close();
  });
});
