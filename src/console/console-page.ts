import { DomainError } from '../common/domain-error';
import type { Clock } from '../common/clock';
import type { ConsoleRequest } from './console.guard';
import { DICTIONARIES, MessageKey } from './i18n';
import { consoleNav } from './nav';
import type { PageContext, RenderService } from './render.service';

const FLASH: Record<string, MessageKey> = {
  decided: 'decided',
  revoked: 'revoked',
  verified: 'verified',
  rejected: 'rejectedMsg',
  suspended: 'suspended',
  created: 'created',
  taken: 'takenMsg',
  released: 'releasedMsg',
  reviewed: 'reviewRecorded',
};
const ERRORS: Record<string, MessageKey> = { conflict: 'conflict', invalid: 'invalid', forbidden: 'forbidden', notfound: 'notFound', taken: 'takenByOther' };

/** A signed-in page: the layout's context (user, menu, flash or error from the query) and the page's data. */
export function renderPage(render: RenderService, clock: Clock, req: ConsoleRequest, view: string, title: MessageKey, active: string, data: Record<string, unknown> = {}): string {
  const c = req.console!;
  const actor = c.actor;
  const q = req.query as Record<string, string | undefined>;
  const ctx: PageContext = {
    lang: c.lang,
    title,
    path: req.path,
    now: clock.now().getTime(),
    csrf: c.session.csrfToken,
    user: { displayName: c.user.displayName, roles: c.user.roles, organizationName: c.org.name },
    nav: consoleNav(actor, c.org.kind, active),
    flash: q.done && FLASH[q.done] ? DICTIONARIES[c.lang][FLASH[q.done]!] : undefined,
    error: q.e && ERRORS[q.e] ? DICTIONARIES[c.lang][ERRORS[q.e]!] : undefined,
    ...data,
  };
  return render.render(view, ctx);
}

const DAY = 86_400_000;

/** A posted form, as the console's body parser gives it. */
export type Form = Record<string, string | string[] | undefined>;

export function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** A calendar date in Japan (YYYY-MM-DD), some days from now. */
export function jstDate(offsetDays = 0, now = Date.now()): string {
  return new Date(now + 9 * 3600_000 + offsetDays * DAY).toISOString().slice(0, 10);
}

/** The console's error code (`?e=`) for a refused action; anything but a domain error is unexpected and rethrown. */
export function errorKey(err: unknown): string {
  if (!(err instanceof DomainError)) throw err;
  return err.status === 409 ? 'conflict' : err.status === 403 ? 'forbidden' : err.status === 404 ? 'notfound' : 'invalid';
}
