import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { accessibilityViolations, launchBrowser, SHOTS } from '../support/browser';
import {
  activateSafeguards,
  buildWorld,
  idemKey,
  recordBody,
  requestBody,
  World,
} from '../support/exchange-fixtures';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp, totpFor } from '../support/test-app';


interface Staff {
  username: string;
  password: string;
  secret: string;
}


/** How far the page is wider than the window (0 when nothing scrolls sideways). */
async function sidewaysOverflow(page: Page): Promise<number> {
  return (await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )) as number;
}

describe('per-person report and anomaly pages of the console in a real browser', () => {
  let t: TestApp;
  let w: World;
  let base: string;
  let browser: Browser;
  let ministryId = '';
  let recordId: string;
  /** A new auditor for each sign-in: a TOTP code is accepted once, and the tests sign in within seconds. */
  const newAuditor = (): Promise<Staff> => createStaff(t, w.admin, ministryId, ['auditor']);

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    const rec = await t.http
      .post(`${API}/release-records`)
      .set(bearer(w.facilityToken))
      .send(recordBody({ fullName: '報告 五郎', birthDate: '1985-05-05' }))
      .expect(201);
    recordId = rec.body.id;
    const ask = await t.http
      .post(`${API}/requests`)
      .set(bearer(w.cityToken))
      .set('Idempotency-Key', idemKey())
      .send(requestBody({ recordRef: rec.body.recordRef }))
      .expect(201);
    await t.http
      .post(`${API}/requests/${ask.body.id}/decisions`)
      .set(bearer(w.officer.token))
      .send({ decision: 'approve', reason: '同意書を確認' })
      .expect(200);
    await t.http.get(`${API}/requests/${ask.body.id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    // A burst yesterday: 301 reads in five minutes by one officer (the policy flags more than 300 in 10).
    await t.db.query(
      `INSERT INTO audit_events (occurred_at, actor_type, actor_id, organization_id, action, resource_type, outcome)
       SELECT now() - interval '1 day' + make_interval(secs => g), 'user', $1, $2, 'request.read', 'request', 'success' FROM generate_series(0, 300) g`,
      [w.officer.id, w.facility.id],
    );
    ministryId = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0]
      .id;
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signInAs(staff: Staff, width = 1280): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({
      viewport: { width, height: 800 },
      locale: 'ja-JP',
      acceptDownloads: true,
    });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    await page.getByLabel('ユーザー名').fill(staff.username);
    await page.getByLabel('パスワード').fill(staff.password);
    await page.getByLabel('確認コード（6桁）').fill(totpFor(staff.secret, 1));
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).not.toBe('/console/login');
    return { ctx, page };
  }

  it('shows an auditor everything about one person by record id, exports it as CSV, accessibly, in both languages', async () => {
    const { ctx, page } = await signInAs(await newAuditor());
    await page.getByRole('link', { name: '個人別報告' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('個人別の監査報告');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('記録ID').fill('not-a-record');
    await page.getByRole('button', { name: '報告を表示' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.error').textContent()).toContain('形式');
    await page.getByLabel('記録ID').fill(recordId);
    await page.getByRole('button', { name: '報告を表示' }).click();
    await page.waitForLoadState('load');
    const table = (await page.locator('table.insights').textContent()) ?? '';
    for (const s of ['提供（受領）', '決定', '依頼', '大阪市', '大阪刑務所', 'disclosure.retrieve'])
      expect(table).toContain(s);
    const body = (await page.locator('body').textContent()) ?? '';
    expect(body).not.toContain('報告 五郎');
    expect(body).not.toContain('1985');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-report.png'), fullPage: true });

    const download = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'CSV' }).click(),
    ]);
    expect(download[0].suggestedFilename()).toBe(`person-report-${recordId}.csv`);
    const csv = readFileSync((await download[0].path())!, 'utf8');
    expect(csv.split('\n')[0]).toContain('japanTime');
    expect(csv).toContain('"disclosure","disclosure.retrieve","success"');
    // Each showing and the export are audit events about this person.
    const { rows } = await t.db.query(
      `SELECT details->>'format' AS format, details->>'channel' AS channel FROM audit_events WHERE action = 'audit.report' AND record_id = $1 ORDER BY id`,
      [recordId],
    );
    expect(rows).toEqual([
      { format: 'json', channel: 'console' },
      { format: 'csv', channel: 'console' },
    ]);

    await page.goto(`${base}/console/audit/report?record=${recordId}&lang=en`);
    expect(await page.locator('h1').textContent()).toBe('Per-person audit report');
    expect(await page.locator('table.insights').textContent()).toContain('Disclosure (received)');
    expect(await accessibilityViolations(page)).toEqual([]);
    await ctx.close();
  });

  it('lists each anomaly view with its threshold and findings linking to the event search, accessibly, in both languages', async () => {
    const { ctx, page } = await signInAs(await newAuditor());
    await page.getByRole('link', { name: '異常の兆候' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('異常の兆候');
    expect(await page.locator('section.insights h2').allTextContents()).toEqual([
      '勤務時間外のアクセス',
      '一人による集中的な操作',
      '一人に対する拒否の多発',
      '一団体による多数の人の情報取得',
      '同じ機関の他の担当官より著しく多い承認',
    ]);
    const bursts = page.locator('section[aria-labelledby="view-bursts-h"]');
    expect(await bursts.textContent()).toContain('10分以内に300件を超える操作');
    expect(await bursts.locator('tbody tr').count()).toBe(1);
    expect(await bursts.locator('tbody tr').textContent()).toContain('301');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-anomalies.png'), fullPage: true });
    await bursts.getByRole('link', { name: '該当イベントを検索' }).click();
    await page.waitForLoadState('load');
    expect(new URL(page.url()).pathname).toBe('/console/audit');
    expect(new URL(page.url()).searchParams.get('actor')).toBe(w.officer.id);
    expect(await page.locator('table.audit tbody tr').count()).toBe(50);

    await page.goto(`${base}/console/audit/anomalies?lang=en`);
    expect(await page.locator('h1').textContent()).toBe('Anomalies');
    expect(await page.locator('section[aria-labelledby="view-bursts-h"]').textContent()).toContain(
      'more than 300 actions within 10 minutes',
    );
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.goto(`${base}/console/audit/anomalies?from=2026-01-01&to=2026-06-01`);
    expect(await page.locator('.error').textContent()).toContain('period');
    await ctx.close();
  });

  it('fits both pages in a 390 px wide window', async () => {
    const { ctx, page } = await signInAs(await newAuditor(), 390);
    await page.goto(`${base}/console/audit/report?record=${recordId}&lang=ja`);
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-report-390.png'), fullPage: true });
    await page.goto(`${base}/console/audit/anomalies`);
    expect(await sidewaysOverflow(page)).toBeLessThanOrEqual(0);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'audit-anomalies-390.png'), fullPage: true });
    await ctx.close();
  });

  it('has no such pages for anyone but auditors', async () => {
    const officer = await createStaff(t, w.admin, w.facility.id, ['case_officer']);
    const { ctx, page } = await signInAs(officer);
    expect(await page.getByRole('link', { name: '個人別報告' }).count()).toBe(0);
    const res = await page.goto(`${base}/console/audit/report?record=${recordId}`);
    expect(res!.status()).toBe(403);
    await ctx.close();
  });
});
