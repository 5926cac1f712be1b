import { Injectable } from '@nestjs/common';
import { SignInThrottle } from '../auth/sign-in-throttle';
import { AuditService } from '../audit/audit.service';
import { ConflictError, isPgError, NotFoundError, PG_UNIQUE_VIOLATION, RuleViolationError } from '../common/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { hashSecret } from '../auth/passwords';
import { AGENCY_KINDS, Organization, OrganizationKind } from '../organizations/organization.entity';
import { CreateUserDto } from './dto/create-user.dto';
import { UpdateUserDto } from './dto/update-user.dto';
import { Role, User } from './user.entity';
import { PrincipalCache } from '../auth/principal-cache';

/** Which roles fit which organisation: case work at agencies, oversight at the ministry. */
export const ROLES_BY_KIND: Record<OrganizationKind, Role[]> = {
  correctional_facility: ['case_officer', 'supervisor'],
  probation_office: ['case_officer', 'supervisor'],
  ministry: ['safeguard_reviewer', 'auditor', 'admin'],
  municipality: [],
  prefecture: [],
};

export interface UserView {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  disabled: boolean;
  mfaEnrolled: boolean;
  createdAt: string;
  updatedAt: string;
}

export function toUserView(u: User): UserView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    organizationId: u.organizationId,
    roles: u.roles,
    disabled: u.disabled,
    mfaEnrolled: u.totpEnabled,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

@Injectable()
export class UsersService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
    private readonly throttle: SignInThrottle,
  ) {}

  get repo() {
    return this.txHost.tx.getRepository(User);
  }

  private async checkRoles(orgId: string, roles: Role[]): Promise<Organization> {
    const org = await this.txHost.tx.getRepository(Organization).findOneBy({ id: orgId });
    if (!org) throw new RuleViolationError('unknown-organization', 'The organisation does not exist.', [{ field: 'organizationId', message: 'unknown' }]);
    const allowed = ROLES_BY_KIND[org.kind];
    const wrong = roles.filter((r) => !allowed.includes(r));
    if (wrong.length)
      throw new RuleViolationError('role-not-allowed', `These roles do not fit a ${org.kind}: ${wrong.join(', ')}.`, [{ field: 'roles', message: 'not allowed for this organisation kind' }]);
    return org;
  }

  @Transactional()
  async create(dto: CreateUserDto): Promise<UserView> {
    await this.checkRoles(dto.organizationId, dto.roles);
    let saved: User;
    try {
      saved = await this.repo.save(
        this.repo.create({
          username: dto.username,
          displayName: dto.displayName.normalize('NFKC').trim(),
          organizationId: dto.organizationId,
          roles: dto.roles,
          passwordHash: await hashSecret(dto.password),
        }),
      );
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) throw new ConflictError('username-taken', 'This username is taken.');
      throw err;
    }
    await this.audit.record({ action: 'user.create', resourceType: 'user', resourceId: saved.id, details: { roles: saved.roles, organizationId: saved.organizationId } });
    return toUserView(saved);
  }

  async list(query: { cursor?: string; limit?: number; organizationId?: string }): Promise<Page<UserView>> {
    const limit = query.limit ?? 50;
    const qb = this.repo.createQueryBuilder('u').orderBy('u.created_at', 'DESC').addOrderBy('u.id', 'DESC').limit(limit + 1);
    if (query.organizationId) qb.andWhere('u.organization_id = :org', { org: query.organizationId });
    const cursor = decodeCursor(query.cursor);
    if (cursor) qb.andWhere('(u.created_at, u.id) < (:t, :id)', { t: cursor.time, id: cursor.id });
    const rows = await qb.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(toUserView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  @Transactional()
  async update(id: string, dto: UpdateUserDto): Promise<UserView> {
    const user = await this.repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!user) throw new NotFoundError('user');
    const orgId = dto.organizationId ?? user.organizationId;
    const roles = dto.roles ?? user.roles;
    if (dto.organizationId || dto.roles) await this.checkRoles(orgId, roles);
    const changed: string[] = [];
    if (dto.displayName !== undefined) {
      user.displayName = dto.displayName.normalize('NFKC').trim();
      changed.push('displayName');
    }
    if (dto.organizationId !== undefined) {
      user.organizationId = orgId;
      changed.push('organizationId');
    }
    if (dto.roles !== undefined) {
      user.roles = roles;
      changed.push('roles');
    }
    if (dto.disabled !== undefined) {
      user.disabled = dto.disabled;
      changed.push('disabled');
    }
    if (dto.password !== undefined) {
      user.passwordHash = await hashSecret(dto.password);
      // Pauses earned by whoever tried the old password no longer hold the account back.
      await this.throttle.clearAccount(user.id);
      changed.push('password');
    }
    if (dto.resetMfa) {
      user.totpEnabled = false;
      user.totpSecret = null;
      user.totpLastStep = null;
      changed.push('mfa');
    }
    // Any change of who the user is or may do ends the tokens already issued.
    if (changed.some((c) => c !== 'displayName')) {
      user.tokenVersion += 1;
      this.principals.principalChanging();
    }
    const saved = await this.repo.save(user);
    await this.audit.record({ action: 'user.update', resourceType: 'user', resourceId: id, details: { changed, roles: saved.roles, disabled: saved.disabled } });
    return toUserView(saved);
  }

  /** What a token check needs about a user and their organisation, in one query. */
  async findPrincipal(id: string): Promise<{ id: string; organizationId: string; orgKind: OrganizationKind; roles: Role[]; disabled: boolean; tokenVersion: number } | null> {
    const rows = (await this.txHost.tx.query(
      `SELECT u.id, u.organization_id, o.kind AS org_kind, u.roles, u.disabled, u.token_version
         FROM users u JOIN organizations o ON o.id = u.organization_id WHERE u.id = $1`,
      [id],
    )) as { id: string; organization_id: string; org_kind: OrganizationKind; roles: Role[]; disabled: boolean; token_version: number }[];
    const r = rows[0];
    return r ? { id: r.id, organizationId: r.organization_id, orgKind: r.org_kind, roles: r.roles, disabled: r.disabled, tokenVersion: r.token_version } : null;
  }

  findById(id: string): Promise<User | null> {
    return this.repo.findOneBy({ id });
  }

  findByUsername(username: string): Promise<User | null> {
    return this.repo.findOneBy({ username });
  }

  async countAdmins(): Promise<number> {
    return this.repo.createQueryBuilder('u').where(`'admin' = ANY(u.roles)`).getCount();
  }

  /** Staff of an agency (for the console and notifications); never across organisations. */
  isAgency(kind: OrganizationKind): boolean {
    return AGENCY_KINDS.includes(kind);
  }
}
