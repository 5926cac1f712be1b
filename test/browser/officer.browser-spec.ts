import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, safeguardsBody, World } from '../support/exchange-fixtures';
import { accessibilityViolations, launchBrowser, SHOTS } from '../support/browser';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp, totpFor } from '../support/test-app';


/** Codes that must never reach an officer's eyes: every one has a label. */
const RAW_CODES =
  /\b(reintegration_support|welfare_coordination|ordinance_program|awaiting_second_approval|support_needs|statutory_duty|case_officer|safeguard_reviewer|correctional_facility|probation_office|approve|reject|revoke|pending|approved|rejected)\b/;

interface Staff {
  username: string;
  password: string;
  secret: string;
}


/** The page's visible text (innerText of main), where raw codes would show. */
const mainText = async (page: Page) => (await page.locator('main').innerText()) as string;

describe('the officer’s workbench in a real browser', () => {
  let t: TestApp;
  let w: World;
  let base: string;
  let browser: Browser;
  let recordRef: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    const rec = await t.http
      .post(`${API}/release-records`)
      .set(bearer(w.facilityToken))
      .send(
        recordBody({
          fullName: '画面 五郎',
          birthDate: '1977-03-03',
          consents: [{ recipientOrganizationId: w.city.id, purposes: ['reintegration_support'], categories: ['identity', 'residence'], signedOn: '2026-01-10' }],
        }),
      )
      .expect(201);
    recordRef = rec.body.recordRef;
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function signInAs(staff: Staff, lang: 'ja' | 'en' = 'ja'): Promise<{ ctx: BrowserContext; page: Page }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: lang === 'ja' ? 'ja-JP' : 'en-GB' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login?lang=${lang}`);
    await page.locator('#username').fill(staff.username);
    await page.locator('#password').fill(staff.password);
    await page.locator('#totp').fill(totpFor(staff.secret, 1));
    await page.locator('form button[type="submit"]').click();
    await page.waitForLoadState('load');
    return { ctx, page };
  }
  const newOfficer = (roles: string[] = ['case_officer']) => createStaff(t, w.admin, w.facility.id, roles);
  const newRequest = async (over: Record<string, unknown> = {}, subject: Record<string, unknown> = { recordRef }) =>
    (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody(subject, over)).expect(201)).body as { id: string; reference: string };

  /** axe clean, no raw code, and every table's headings visible, at desktop width and at 390 px. */
  async function checkBothWidths(page: Page, name: string): Promise<void> {
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      expect({ name, width, violations: await accessibilityViolations(page) }).toEqual({ name, width, violations: [] });
      expect(await mainText(page)).not.toMatch(RAW_CODES);
      await page.screenshot({ path: join(SHOTS, `${name}-${width}.png`), fullPage: true });
    }
    await page.setViewportSize({ width: 1280, height: 800 });
  }

  /** At 390 px every cell of a stacked table is led by its column heading, and other tables keep their heading row. */
  async function headingsAtNarrowWidth(page: Page): Promise<{ table: number; stacked: boolean; missing: number; headerVisible: boolean }[]> {
    await page.setViewportSize({ width: 390, height: 900 });
    const out = (await page.evaluate(`Array.from(document.querySelectorAll('main table')).map((table, i) => {
      const stacked = table.classList.contains('stack');
      const cells = Array.from(table.querySelectorAll('tbody td')).filter((td) => td.getAttribute('data-label') !== '');
      const missing = stacked ? cells.filter((td) => getComputedStyle(td, '::before').content !== JSON.stringify(td.getAttribute('data-label'))).length : 0;
      const th = table.querySelector('thead th');
      const headerVisible = !!th && th.getBoundingClientRect().height > 1;
      return { table: i, stacked, missing, headerVisible };
    })`)) as { table: number; stacked: boolean; missing: number; headerVisible: boolean }[];
    await page.setViewportSize({ width: 1280, height: 800 });
    return out;
  }

  it('shows the request page with reference, deadline, consent check and limits, and decides only after the summary (Japanese)', async () => {
    const { id, reference } = await newRequest();
    const { ctx, page } = await signInAs(await newOfficer());
    await page.goto(`${base}/console/queue`);
    const row = page.locator('table.queue tbody tr', { has: page.locator(`a[href="/console/requests/${id}"]`) });
    expect(await row.locator('td').first().textContent()).toBe(reference);
    expect(await row.textContent()).toContain('未担当');
    await checkBothWidths(page, 'officer-queue-ja');
    for (const tbl of await headingsAtNarrowWidth(page)) expect(tbl).toMatchObject({ missing: 0 });

    await row.locator('a').click();
    await page.waitForLoadState('load');
    const facts = (await page.locator('dl.facts').first().innerText()) as string;
    expect(facts).toContain(reference);
    expect(facts).toMatch(/処理期限[\s\S]*令和\d+年\d+月\d+日[\s\S]*残り/);
    // The consent check, in text (not only colour), before the decision form.
    const check = page.locator('section.consent-check');
    expect(await check.locator('#consent-warn').textContent()).toContain('記録上の同意で確認できない項目があります');
    const coverage = await check.locator('tbody tr').allInnerTexts();
    expect(coverage.join('\n')).toMatch(/本人特定情報\s+✓ 同意あり/);
    expect(coverage.join('\n')).toMatch(/釈放情報\s+✗ 同意の範囲外/);
    const order = await page.evaluate(`[document.querySelector('section.consent-check'), document.querySelector('section.decide')].map((el) => el.getBoundingClientRect().top)`);
    expect((order as number[])[0]).toBeLessThan((order as number[])[1]!);
    // The era date beside the date field, and the limits beside the inputs.
    expect(await page.locator('#accessUntil-era').textContent()).toMatch(/^令和\d+年\d+月\d+日\(.\)$/);
    expect(await page.locator('#accessUntil-note').textContent()).toMatch(/^最長 30 日（令和\d+年\d+月\d+日\(.\)まで）$/);
    expect(await page.locator('#maxRetrievals-note').textContent()).toBe('最大 5 回');
    const max = (await page.locator('#accessUntil').getAttribute('max'))!;
    const maxEra = /（(.+)まで）/.exec((await page.locator('#accessUntil-note').textContent())!)![1]!;
    expect(await page.locator('#accessUntil-era').textContent()).not.toBe(maxEra); // the default is shorter than the longest
    await page.locator('#accessUntil').fill(max);
    expect(await page.locator('#accessUntil-era').textContent()).toBe(maxEra); // kept current by the page's script
    await checkBothWidths(page, 'officer-request-ja');
    for (const tbl of await headingsAtNarrowWidth(page)) expect(tbl).toMatchObject({ missing: 0 });

    await page.getByLabel('承認する').check();
    await page.getByLabel('釈放情報').uncheck();
    await page.getByLabel('支援の必要性').uncheck();
    await page.locator('#maxRetrievals').fill('2');
    await page.getByLabel('理由', { exact: true }).fill('同意書を確認。同意の範囲に限定。');
    await page.getByRole('button', { name: '確認画面へ進む' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('決裁内容の確認');
    const summary = (await page.locator('dl.summary').innerText()) as string;
    expect(summary).toContain('承認');
    expect(summary).toContain('大阪市');
    expect(summary).toMatch(/本人特定情報\s+帰住予定地/);
    expect(summary).toMatch(/令和\d+年\d+月\d+日 23:59/);
    expect(summary).toContain('2 回');
    expect(summary).toContain('同意書を確認。同意の範囲に限定。');
    await checkBothWidths(page, 'officer-confirm-ja');
    expect((await t.http.get(`${API}/requests/${id}`).set(bearer(w.cityToken))).body.status).toBe('pending');

    // Back keeps what was entered.
    await page.getByRole('button', { name: '戻って修正する' }).click();
    await page.waitForLoadState('load');
    expect(await page.getByLabel('承認する').isChecked()).toBe(true);
    expect(await page.getByLabel('釈放情報').isChecked()).toBe(false);
    expect(await page.locator('#accessUntil').inputValue()).toBe(max);
    expect(await page.locator('#maxRetrievals').inputValue()).toBe('2');
    expect(await page.getByLabel('理由', { exact: true }).inputValue()).toBe('同意書を確認。同意の範囲に限定。');

    await page.getByRole('button', { name: '確認画面へ進む' }).click();
    await page.waitForLoadState('load');
    await page.getByRole('button', { name: 'この内容で決裁する' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.flash').textContent()).toContain('決裁しました');
    // A single-stage approval is "承認", not "一次承認"; no raw code in the history.
    const history = (await page.locator('.decisions').innerText()) as string;
    expect(history).toMatch(/^承認 — /);
    expect(history).not.toContain('一次承認');
    expect(await mainText(page)).not.toMatch(RAW_CODES);
    const got = (await t.http.get(`${API}/requests/${id}`).set(bearer(w.cityToken)).expect(200)).body;
    expect(got).toMatchObject({ status: 'approved', approvedCategories: ['identity', 'residence'], maxRetrievals: 2 });
    expect(got.accessUntil).toBe(new Date(`${max}T23:59:59+09:00`).toISOString());
    await ctx.close();
  });

  it('shows the same in English: Gregorian dates with the era year, labels for every code', async () => {
    const { id, reference } = await newRequest();
    const { ctx, page } = await signInAs(await newOfficer(), 'en');
    await page.goto(`${base}/console/requests/${id}`);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    expect(await page.locator('dl.facts').first().innerText()).toContain(reference);
    expect(await page.locator('#consent-warn').textContent()).toContain('do not cover every requested category');
    expect(await page.locator('#accessUntil-era').textContent()).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d{4} \(Reiwa \d+\)$/);
    expect(await page.locator('#accessUntil-note').textContent()).toMatch(/^At most 30 days \(until .+\)$/);
    expect(await page.locator('section[aria-labelledby="consent-h"]').innerText()).toContain('Reintegration support');
    await checkBothWidths(page, 'officer-request-en');
    await page.getByLabel('Reject').check();
    await page.getByLabel('Reason', { exact: true }).fill('Outside the consent.');
    await page.getByRole('button', { name: 'Review the decision' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('h1').textContent()).toBe('Confirm the decision');
    expect(await page.locator('dl.summary').innerText()).toContain('Rejected');
    await checkBothWidths(page, 'officer-confirm-en');
    await page.getByRole('button', { name: 'Decide as shown' }).click();
    await page.waitForLoadState('load');
    expect(await page.locator('.decisions').innerText()).toMatch(/^Rejected — /);
    expect(await mainText(page)).not.toMatch(RAW_CODES);
    await page.goto(`${base}/console/queue?status=all&sort=received`);
    await checkBothWidths(page, 'officer-queue-en');
    await ctx.close();
  });

  it('runs the second approval page accessibly (one name per landmark), naming the first approval', async () => {
    await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '二次 三郎', birthDate: '1969-09-09' })).expect(201);
    const { id } = await newRequest(
      { purpose: 'ordinance_program', categories: ['identity', 'offense'], legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例第17条' } },
      { fullName: '二次 三郎', birthDate: '1969-09-09' },
    );
    await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.supervisor.token)).send({ decision: 'approve', reason: '一次承認。' }).expect(200);
    for (const lang of ['ja', 'en'] as const) {
      const { ctx, page } = await signInAs(await newOfficer(['supervisor']), lang);
      await page.goto(`${base}/console/requests/${id}`);
      expect(await page.locator('.decisions').innerText()).toMatch(lang === 'ja' ? /^一次承認 — / : /^First approval — /);
      expect(await page.locator('section.consent-check').innerText()).toContain(lang === 'ja' ? '本人同意は根拠ではありません' : 'not on consent');
      await checkBothWidths(page, `officer-second-approval-${lang}`);
      await ctx.close();
    }
  });

  it('lets an officer take a request; another sees it taken, cannot take or decide it; queue filters find it', async () => {
    const { id, reference } = await newRequest();
    const first = await signInAs(await newOfficer());
    await first.page.goto(`${base}/console/requests/${id}`);
    await first.page.getByRole('button', { name: '担当する' }).click();
    await first.page.waitForLoadState('load');
    expect(await first.page.locator('.flash').textContent()).toContain('担当しました');
    expect(await first.page.locator('dd.assignment').innerText()).toMatch(/^担当: 職員 \d+/);
    await checkBothWidths(first.page, 'officer-taken-ja');
    await first.page.goto(`${base}/console/queue?assigned=me`);
    expect(await first.page.locator(`a[href="/console/requests/${id}"]`).count()).toBe(1);
    await first.ctx.close();

    const second = await signInAs(await newOfficer());
    await second.page.goto(`${base}/console/queue`);
    const row = second.page.locator('table.queue tbody tr', { has: second.page.locator(`a[href="/console/requests/${id}"]`) });
    expect(await row.locator('td.assignee').innerText()).toMatch(/^職員 \d+/);
    await second.page.getByLabel('担当').selectOption('unassigned');
    await second.page.getByRole('button', { name: '絞り込み' }).click();
    await second.page.waitForLoadState('load');
    expect(second.page.url()).toContain('assigned=unassigned');
    expect(await second.page.locator(`a[href="/console/requests/${id}"]`).count()).toBe(0);
    await second.page.getByLabel('並び順').selectOption('received');
    await second.page.getByLabel('担当').selectOption('');
    await second.page.getByRole('button', { name: '絞り込み' }).click();
    await second.page.waitForLoadState('load');
    // Newest first: the request just made heads the list.
    expect(await second.page.locator('table.queue tbody tr td').first().textContent()).toBe(reference);
    await checkBothWidths(second.page, 'officer-queue-filtered-ja');
    await second.page.goto(`${base}/console/requests/${id}`);
    expect(await second.page.locator('#assigned-warn').innerText()).toContain('が担当しています');
    expect(await second.page.getByRole('button', { name: '担当する' }).count()).toBe(0);
    expect(await second.page.locator('form[action$="/decide"]').count()).toBe(0);
    await checkBothWidths(second.page, 'officer-taken-by-other-ja');
    await second.ctx.close();
  });

  it('shows the administrator states as states and actions as buttons, tables headed at 390 px', async () => {
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    const disabled = await newOfficer();
    await t.http.patch(`${API}/users/${disabled.id}`).set(bearer(w.admin)).send({ disabled: true }).expect(200);
    for (const lang of ['ja', 'en'] as const) {
      const admin = await createStaff(t, w.admin, ministry.id, ['admin']);
      const { ctx, page } = await signInAs(admin, lang);
      await page.goto(`${base}/console/admin`);
      const row = page.locator('tbody tr', { hasText: disabled.username });
      expect(await row.locator('td.account-state .status').first().textContent()).toBe(lang === 'ja' ? '停止' : 'Disabled');
      expect(await row.locator('td.account-state button').count()).toBe(0); // a state is not a control
      expect(await row.getByRole('button', { name: lang === 'ja' ? '再開する' : 'Enable' }).count()).toBe(1);
      const active = page.locator('tbody tr', { hasText: admin.username });
      expect(await active.locator('td.account-state .status-active').count()).toBe(1);
      expect(await active.getByRole('button', { name: lang === 'ja' ? '停止する' : 'Disable' }).count()).toBe(1);
      await checkBothWidths(page, `admin-${lang}`);
      for (const tbl of await headingsAtNarrowWidth(page)) expect(tbl).toMatchObject({ stacked: true, missing: 0 });
      await ctx.close();
    }
  });

  it('keeps the headings of the reviewer’s and the auditor’s tables at 390 px, accessibly', async () => {
    await t.http.put(`${API}/safeguards`).set(bearer(w.prefectureToken)).send(safeguardsBody()).expect(201);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    for (const [roles, path, stacked] of [
      [['safeguard_reviewer'], '/console/safeguards', true],
      [['auditor'], '/console/audit', false],
    ] as const) {
      const { ctx, page } = await signInAs(await createStaff(t, w.admin, ministry.id, [...roles]));
      await page.goto(`${base}${path}`);
      const tables = await headingsAtNarrowWidth(page);
      expect(tables.length).toBeGreaterThan(0);
      // Stacked tables lead every cell with its heading; the others keep their heading row.
      for (const tbl of tables) expect(tbl).toMatchObject(stacked ? { stacked: true, missing: 0 } : { stacked: false, headerVisible: true });
      await page.setViewportSize({ width: 390, height: 900 });
      expect(await accessibilityViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SHOTS, `narrow-${roles[0]}.png`), fullPage: true });
      await ctx.close();
    }
  });

  it('serves /favicon.ico to the browser (no 404)', async () => {
    const ctx = await browser.newContext();
    const res = await ctx.request.get(`${base}/favicon.ico`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/x-icon');
    expect(res.headers()['cache-control']).toContain('max-age=');
    await ctx.close();
  });
});
