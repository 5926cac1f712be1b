import type { Browser, Page } from 'playwright-core';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, safeguardsBody, World } from '../support/exchange-fixtures';
import { accessibilityViolations, launchBrowser } from '../support/browser';
import { createStaff } from '../support/factories';
import { API, bearer, createTestApp, TestApp, totpFor } from '../support/test-app';
import { AuditLogService } from '../../src/audit/audit-log.service';

/**
 * Every console page each role can reach, found by following the links on the pages themselves
 * (so a page added later is swept without naming it here), checked with axe-core's default rules
 * (WCAG 2.1 A/AA and best practices such as `landmark-unique`) in Japanese and in English at
 * desktop width and in Japanese at 390 px; and none of them shows a raw code (a snake_case value
 * such as `reintegration_support` or `awaiting_second_approval`) outside `code` elements.
 */
/** Pages per role at most, and pages of one template (ids and query values do not make a new template). */
const MAX_PAGES = 50;
const PER_TEMPLATE = 4;

interface Staff {
  username: string;
  password: string;
  secret: string;
}


/** Visible text outside code elements that looks like a raw code. */
async function rawCodes(page: Page): Promise<string[]> {
  const text = (await page.evaluate(`(() => {
    const clone = document.body.cloneNode(true);
    for (const el of clone.querySelectorAll('code, kbd, samp, script, style, [hidden], .visually-hidden-code')) el.remove();
    return clone.innerText;
  })()`)) as string;
  return [...new Set(text.match(/\b[a-z]+(?:_[a-z]+)+\b/g) ?? [])];
}

/** The page's template: ids and numbers become placeholders, query values are dropped. */
function template(u: URL): string {
  const path = u.pathname.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, ':id').replace(/\/\d+(?=\/|$)/g, '/:n');
  const keys = [...new Set([...u.searchParams.keys()].filter((k) => k !== 'lang'))].sort();
  return keys.length ? `${path}?${keys.join('&')}` : path;
}

describe('every console page, swept with axe in Japanese and English', () => {
  let t: TestApp;
  let w: World;
  let base: string;
  let browser: Browser;
  let auditor: Staff;
  let admin: Staff;

  beforeAll(async () => {
    t = await createTestApp({ CONSOLE_SECURE_COOKIE: 'false' });
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    auditor = await createStaff(t, w.admin, ministry.id, ['auditor']);
    admin = await createStaff(t, w.admin, ministry.id, ['admin']);
    // Something in every state a page can show: pending, awaiting a second approval, approved and
    // retrieved, rejected; a record read; safeguards waiting for review.
    const make = async (body: Record<string, unknown>) =>
      (await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(body).expect(201)).body.id as string;
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName: '掃引 太郎', birthDate: '1979-09-09' })).expect(201);
    await make(requestBody({ recordRef: rec.body.recordRef }));
    const approved = await make(requestBody({ recordRef: rec.body.recordRef }));
    await t.http.post(`${API}/requests/${approved}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: '同意書を確認。' }).expect(200);
    await t.http.get(`${API}/requests/${approved}/disclosure`).set(bearer(w.cityToken)).expect(200);
    const rejected = await make(requestBody({ recordRef: rec.body.recordRef }));
    await t.http.post(`${API}/requests/${rejected}/decisions`).set(bearer(w.officer.token)).send({ decision: 'reject', reason: '目的と項目が合わない。' }).expect(200);
    const sensitive = await make(
      requestBody({ recordRef: rec.body.recordRef }, { purpose: 'ordinance_program', categories: ['identity', 'offense'], legalGround: { kind: 'statutory_duty', duty: '大阪府子どもを性犯罪から守る条例第17条' } }),
    );
    await t.http.post(`${API}/requests/${sensitive}/decisions`).set(bearer(w.supervisor.token)).send({ decision: 'approve', reason: '一段目。' }).expect(200);
    await t.http.put(`${API}/safeguards`).set(bearer(w.prefectureToken)).send(safeguardsBody()).expect(201);
    await t.app.get(AuditLogService).sealNow();
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Signs in through the form, then walks the links breadth first; answers the problems found. */
  async function sweep(staff: Staff): Promise<{ pages: string[]; problems: string[] }> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ja-JP' });
    const page = await ctx.newPage();
    await page.goto(`${base}/console/login`);
    const problems: string[] = [];
    const check = async (where: string) => {
      for (const v of await accessibilityViolations(page)) problems.push(`${where}: ${v}`);
      for (const c of await rawCodes(page)) problems.push(`${where}: raw code "${c}" shown`);
    };
    await check('/console/login (ja)');
    await page.getByLabel('ユーザー名').fill(staff.username);
    await page.getByLabel('パスワード').fill(staff.password);
    await page.getByLabel('確認コード（6桁）').fill(totpFor(staff.secret, 1));
    await page.getByRole('button', { name: 'サインイン' }).click();
    await page.waitForLoadState('load');
    const seen = new Set<string>();
    const perTemplate = new Map<string, number>();
    const queue = [page.url()];
    const pages: string[] = [];
    while (queue.length && pages.length < MAX_PAGES) {
      const url = new URL(queue.shift()!);
      url.searchParams.delete('lang');
      const key = template(url);
      // Up to PER_TEMPLATE instances of a page with an id (requests in different states), once otherwise.
      if (seen.has(url.toString()) || (perTemplate.get(key) ?? 0) >= (key.includes(':') ? PER_TEMPLATE : 1)) continue;
      seen.add(url.toString());
      perTemplate.set(key, (perTemplate.get(key) ?? 0) + 1);
      for (const [lang, width] of [
        ['ja', 1280],
        ['en', 1280],
        ['ja', 390],
      ] as const) {
        url.searchParams.set('lang', lang);
        await page.setViewportSize({ width, height: 800 });
        const res = await page.goto(url.toString());
        if (!res || !(res.headers()['content-type'] ?? '').startsWith('text/html')) break; // a download, not a page
        expect(res.status()).toBe(200);
        expect(await page.getAttribute('html', 'lang')).toBe(lang);
        await check(`${key} (${lang}, ${width} px)`);
      }
      if (!pages.includes(key)) pages.push(key);
      const links = (await page.evaluate(`[...document.querySelectorAll('a[href]')].map((a) => a.href)`)) as string[];
      for (const href of links) {
        const u = new URL(href);
        if (u.origin !== new URL(base).origin || !u.pathname.startsWith('/console') || u.pathname.startsWith('/console/assets')) continue;
        if (/logout|export|\.csv|format=csv/.test(u.pathname + u.search)) continue;
        u.searchParams.delete('lang');
        if (!seen.has(u.toString())) queue.push(u.toString());
      }
    }
    await ctx.close();
    return { pages, problems };
  }

  it.each([
    ['case officer', () => w.officer as unknown as Staff, ['/console/queue', '/console/requests/:id']],
    ['supervisor', () => w.supervisor2 as unknown as Staff, ['/console/queue', '/console/requests/:id']],
    ['safeguard reviewer', () => w.reviewer as unknown as Staff, ['/console/safeguards', '/console/safeguards/:id']],
    ['auditor', () => auditor, ['/console/audit']],
    ['administrator', () => admin, ['/console/admin']],
  ])('as a %s: no axe violation and no raw code on any page', async (_role, who, mustSee) => {
    const { pages, problems } = await sweep(who());
    for (const p of mustSee) expect(pages).toContain(p);
    expect(problems).toEqual([]);
  }, 300_000);
});
