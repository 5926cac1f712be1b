import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { totpFor } from './test-app';

/** Where browser tests leave their screenshots. */
export const SHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Headless Chromium, quiet (no background networking, no updates). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** axe-core's WCAG 2.1 A/AA rules and its best practices (landmark-unique among them) on the page as it is; answers the violations, described. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string, evaluated in the page (the test's TypeScript has no DOM types).
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })`,
  )) as { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Signs a TOTP-enrolled staff member in through the console form (Japanese, desktop width), with the next time step's code. */
export async function consoleSignInPage(
  browser: Browser,
  base: string,
  staff: { username: string; password: string; secret: string },
): Promise<{ ctx: BrowserContext; page: Page }> {
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
