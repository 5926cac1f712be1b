import type { OrganizationKind } from '../organizations/organization.entity';
import type { ClientScope } from '../organizations/api-client.entity';
import type { Role } from '../users/user.entity';

/** Who is calling: a staff user or an API client, always of exactly one organisation. */
export interface Actor {
  type: 'user' | 'client';
  /** User id, or the client's public client id. */
  id: string;
  orgId: string;
  orgKind: OrganizationKind;
  roles: Role[];
  scopes: ClientScope[];
  /** Set on a staff token that may only enrol or verify TOTP. */
  mfaPending: boolean;
  jti: string;
}

export function hasRole(actor: Actor, role: Role): boolean {
  if (actor.roles.includes(role)) return true;
  return role === 'case_officer' && actor.roles.includes('supervisor');
}
