import type { Response } from 'supertest';
import { SESSION_COOKIE } from '../../src/console/sessions.service';
import { TestApp, totpFor } from './test-app';

export const LOGIN_CSRF_COOKIE = 'oie_login_csrf';

/** A signed-in console session: the cookie token and the CSRF token its forms carry. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
}

export function cookieFrom(res: Response, name: string): string | undefined {
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  for (const line of set) {
    const m = new RegExp(`^${name}=([^;]*)`).exec(line);
    if (m) return decodeURIComponent(m[1]!);
  }
  return undefined;
}

export function csrfFrom(html: string): string | undefined {
  return /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
}

/** A fresh sign-in form: the login CSRF cookie and the same value for the form. */
export async function consoleLoginForm(t: TestApp): Promise<string> {
  const page = await t.http.get('/console/login');
  const token = cookieFrom(page, LOGIN_CSRF_COOKIE);
  if (page.status !== 200 || !token) throw new Error(`console login page: ${page.status}`);
  return token;
}

/** Signs a TOTP-enrolled staff user in to the console (next time step) and answers the session. */
export async function consoleSignIn(
  t: TestApp,
  user: { username: string; password: string; secret: string },
): Promise<ConsoleSession> {
  const loginCsrf = await consoleLoginForm(t);
  const res = await t.http
    .post('/console/login')
    .set('Cookie', `${LOGIN_CSRF_COOKIE}=${loginCsrf}`)
    .type('form')
    .send({
      _csrf: loginCsrf,
      username: user.username,
      password: user.password,
      totp: totpFor(user.secret, 1),
    });
  const cookie = cookieFrom(res, SESSION_COOKIE);
  if (res.status !== 303 || res.headers.location !== '/console' || !cookie)
    throw new Error(`console sign-in failed: ${res.status} ${res.headers.location}`);
  // The landing page carries the session's CSRF token (in the sign-out form).
  const home = await t.http.get('/console').set('Cookie', `${SESSION_COOKIE}=${cookie}`);
  const page = await t.http.get(String(home.headers.location)).set('Cookie', `${SESSION_COOKIE}=${cookie}`);
  const csrf = csrfFrom(page.text);
  if (page.status !== 200 || !csrf)
    throw new Error(`console landing page: ${page.status} ${home.headers.location}`);
  return { cookie, csrf };
}

export { SESSION_COOKIE };
