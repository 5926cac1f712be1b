import { hasRole } from '../auth/actor';
import { AGENCY_KINDS } from '../organizations/organization.entity';
import type { ConsoleRequest } from './console.guard';
import { DICTIONARIES, MessageKey } from './i18n';
import type { PageContext, RenderService } from './render.service';

const FLASH: Record<string, MessageKey> = { decided: 'decided', revoked: 'revoked', verified: 'verified', rejected: 'rejectedMsg', suspended: 'suspended', created: 'created', reviewed: 'reviewRecorded' };
const ERRORS: Record<string, MessageKey> = { conflict: 'conflict', invalid: 'invalid', forbidden: 'forbidden', notfound: 'notFound' };

/** Renders a console page in the layout: the signed-in user, the menu for their roles, a flash or error from the query. */
export function renderConsolePage(render: RenderService, now: Date, req: ConsoleRequest, view: string, title: MessageKey, active: string, data: Record<string, unknown> = {}): string {
  const c = req.console!;
  const actor = c.actor;
  const q = req.query as Record<string, string | undefined>;
  const ctx: PageContext = {
    lang: c.lang,
    title,
    path: req.path,
    now: now.getTime(),
    csrf: c.session.csrfToken,
    user: { displayName: c.user.displayName, roles: c.user.roles, organizationName: c.org.name },
    nav: {
      queue: hasRole(actor, 'case_officer'),
      safeguards: hasRole(actor, 'safeguard_reviewer'),
      audit: hasRole(actor, 'auditor'),
      admin: hasRole(actor, 'admin'),
      webhooks: hasRole(actor, 'admin') || (hasRole(actor, 'supervisor') && AGENCY_KINDS.includes(c.org.kind)),
      active,
    },
    flash: q.done && FLASH[q.done] ? DICTIONARIES[c.lang][FLASH[q.done]!] : undefined,
    error: q.e && ERRORS[q.e] ? DICTIONARIES[c.lang][ERRORS[q.e]!] : undefined,
    ...data,
  };
  return render.render(view, ctx);
}
