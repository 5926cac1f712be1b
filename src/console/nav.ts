import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { AGENCY_KINDS } from '../organizations/organization.entity';
import type { OrganizationKind } from '../organizations/organization.entity';

/** The console's menu entries a staff member sees (the pages themselves check roles again). */
export function consoleNav(actor: Actor, orgKind: OrganizationKind, active: string) {
  return {
    queue: hasRole(actor, 'case_officer'),
    safeguards: hasRole(actor, 'safeguard_reviewer'),
    audit: hasRole(actor, 'auditor'),
    statistics: hasRole(actor, 'auditor') || hasRole(actor, 'safeguard_reviewer') || hasRole(actor, 'admin'),
    admin: hasRole(actor, 'admin'),
    webhooks: hasRole(actor, 'admin') || (hasRole(actor, 'supervisor') && AGENCY_KINDS.includes(orgKind)),
    active,
  };
}
