import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuditService } from '../audit/audit.service';
import { NotFoundError, isPgError, PG_UNIQUE_VIOLATION, RuleViolationError } from '../common/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { burnVerification, generateSecret, hashSecret, verifySecret } from '../auth/passwords';
import { ApiClient, ClientScope } from './api-client.entity';
import { CreateClientDto } from './dto/create-client.dto';
import { CreateOrganizationDto } from './dto/create-organization.dto';
import { isPrefectureCode, isValidLocalGovernmentCode } from './local-government-code';
import { LOCAL_GOVERNMENT_KINDS, Organization, OrganizationKind } from './organization.entity';
import { DuplicateLocalGovernmentCodeError, InvalidLocalGovernmentCodeError, ScopeNotAllowedError } from './organizations.errors';
import { PrincipalCache } from '../auth/principal-cache';

/** Which client scopes each kind of organisation may hold. */
export const SCOPES_BY_KIND: Record<OrganizationKind, ClientScope[]> = {
  municipality: ['safeguards:write', 'requests:write', 'disclosures:read', 'webhooks:write'],
  prefecture: ['safeguards:write', 'requests:write', 'disclosures:read', 'webhooks:write'],
  correctional_facility: ['records:write', 'webhooks:write'],
  probation_office: ['records:write', 'webhooks:write'],
  ministry: [],
};

export interface OrganizationView {
  id: string;
  kind: OrganizationKind;
  name: string;
  localGovernmentCode: string | null;
  parentId: string | null;
  createdAt: string;
}

export interface ClientView {
  id: string;
  clientId: string;
  organizationId: string;
  name: string | null;
  scopes: ClientScope[];
  revokedAt: string | null;
  createdAt: string;
}

export function toOrganizationView(o: Organization): OrganizationView {
  return {
    id: o.id,
    kind: o.kind,
    name: o.name,
    localGovernmentCode: o.localGovernmentCode,
    parentId: o.parentId,
    createdAt: o.createdAt.toISOString(),
  };
}

function toClientView(c: ApiClient): ClientView {
  return {
    id: c.id,
    clientId: c.clientId,
    organizationId: c.organizationId,
    name: c.name,
    scopes: c.scopes,
    revokedAt: c.revokedAt?.toISOString() ?? null,
    createdAt: c.createdAt.toISOString(),
  };
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
  ) {}

  private get orgs() {
    return this.txHost.tx.getRepository(Organization);
  }

  private get clients() {
    return this.txHost.tx.getRepository(ApiClient);
  }

  @Transactional()
  async create(dto: CreateOrganizationDto): Promise<OrganizationView> {
    const isLocalGov = LOCAL_GOVERNMENT_KINDS.includes(dto.kind);
    const code = dto.localGovernmentCode;
    if (isLocalGov) {
      if (!code || !isValidLocalGovernmentCode(code)) throw new InvalidLocalGovernmentCodeError();
      if ((dto.kind === 'prefecture') !== isPrefectureCode(code))
        throw new InvalidLocalGovernmentCodeError(
          dto.kind === 'prefecture' ? 'A prefecture code ends in 000 and its check digit.' : 'This is a prefecture code, not a municipality code.',
        );
    } else if (code) {
      throw new RuleViolationError('local-government-code-not-applicable', 'Only municipalities and prefectures carry a local government code.', [
        { field: 'localGovernmentCode', message: 'not applicable to this kind' },
      ]);
    }
    if (dto.parentId) {
      const parent = await this.orgs.findOneBy({ id: dto.parentId });
      if (!parent) throw new RuleViolationError('unknown-parent', 'The parent organisation does not exist.', [{ field: 'parentId', message: 'unknown' }]);
      if (dto.kind === 'municipality' && (parent.kind !== 'prefecture' || parent.localGovernmentCode?.slice(0, 2) !== code?.slice(0, 2)))
        throw new RuleViolationError('parent-mismatch', 'A municipality’s parent is the prefecture with the same first two code digits.', [
          { field: 'parentId', message: 'not the municipality’s prefecture' },
        ]);
    }
    let saved: Organization;
    try {
      saved = await this.orgs.save(
        this.orgs.create({ kind: dto.kind, name: dto.name.normalize('NFKC').trim(), localGovernmentCode: code ?? null, parentId: dto.parentId ?? null }),
      );
    } catch (err) {
      if (isPgError(err, PG_UNIQUE_VIOLATION)) throw new DuplicateLocalGovernmentCodeError();
      throw err;
    }
    await this.audit.record({ action: 'organization.create', resourceType: 'organization', resourceId: saved.id, details: { kind: saved.kind } });
    return toOrganizationView(saved);
  }

  async list(query: { cursor?: string; limit?: number; kind?: OrganizationKind }): Promise<Page<OrganizationView>> {
    const limit = query.limit ?? 50;
    const qb = this.orgs.createQueryBuilder('o').orderBy('o.created_at', 'DESC').addOrderBy('o.id', 'DESC').limit(limit + 1);
    if (query.kind) qb.andWhere('o.kind = :kind', { kind: query.kind });
    const cursor = decodeCursor(query.cursor);
    if (cursor) qb.andWhere('(o.created_at, o.id) < (:t, :id)', { t: cursor.time, id: cursor.id });
    const rows = await qb.getMany();
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(toOrganizationView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  async get(id: string): Promise<OrganizationView> {
    const org = await this.orgs.findOneBy({ id });
    if (!org) throw new NotFoundError('organisation');
    return toOrganizationView(org);
  }

  async find(id: string): Promise<Organization | null> {
    return this.orgs.findOneBy({ id });
  }

  async findByLocalGovernmentCode(code: string): Promise<Organization | null> {
    return this.orgs.findOneBy({ localGovernmentCode: code });
  }

  async count(): Promise<number> {
    return this.orgs.count();
  }

  @Transactional()
  async createClient(orgId: string, dto: CreateClientDto): Promise<ClientView & { clientSecret: string }> {
    const org = await this.orgs.findOneBy({ id: orgId });
    if (!org) throw new NotFoundError('organisation');
    const allowed = SCOPES_BY_KIND[org.kind];
    const scopes = dto.scopes ?? allowed;
    const wrong = scopes.filter((s) => !allowed.includes(s));
    if (wrong.length || scopes.length === 0) throw new ScopeNotAllowedError(wrong.length ? wrong : ['(none)']);
    const clientId = `oie_${randomBytes(12).toString('base64url')}`;
    const clientSecret = generateSecret(32);
    const saved = await this.clients.save(
      this.clients.create({ clientId, secretHash: await hashSecret(clientSecret), organizationId: org.id, name: dto.name ?? null, scopes }),
    );
    await this.audit.record({ action: 'client.create', resourceType: 'client', resourceId: clientId, details: { organizationId: org.id, scopes } });
    return { ...toClientView(saved), clientSecret };
  }

  async listClients(orgId: string): Promise<ClientView[]> {
    if (!(await this.orgs.existsBy({ id: orgId }))) throw new NotFoundError('organisation');
    const rows = await this.clients.find({ where: { organizationId: orgId }, order: { createdAt: 'ASC' } });
    return rows.map(toClientView);
  }

  @Transactional()
  async revokeClient(clientId: string): Promise<void> {
    this.principals.principalChanging();
    const res = await this.clients
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()' })
      .where('client_id = :clientId AND revoked_at IS NULL', { clientId })
      .execute();
    if (!res.affected) {
      if (!(await this.clients.existsBy({ clientId }))) throw new NotFoundError('client');
      return; // already revoked: revoking again is a no-op
    }
    await this.audit.record({ action: 'client.revoke', resourceType: 'client', resourceId: clientId });
  }

  /** Checks client credentials in constant-ish time; answers the client only when active and correct. */
  async verifyClient(clientId: string, secret: string): Promise<{ client: ApiClient; org: Organization } | null> {
    const client = await this.clients.findOneBy({ clientId });
    if (!client) return burnVerification(secret).then(() => null);
    const ok = await verifySecret(client.secretHash, secret);
    if (!ok || client.revokedAt) return null;
    const org = await this.orgs.findOneBy({ id: client.organizationId });
    return org ? { client, org } : null;
  }

  /** The active client behind a token and its organisation, in one query; null when revoked or gone. */
  async findActiveClient(clientId: string): Promise<{ client: Pick<ApiClient, 'clientId' | 'scopes'>; org: Pick<Organization, 'id' | 'kind'> } | null> {
    const rows = (await this.txHost.tx.query(
      `SELECT c.client_id, c.scopes, o.id AS org_id, o.kind AS org_kind
         FROM api_clients c JOIN organizations o ON o.id = c.organization_id
        WHERE c.client_id = $1 AND c.revoked_at IS NULL`,
      [clientId],
    )) as { client_id: string; scopes: ApiClient['scopes']; org_id: string; org_kind: Organization['kind'] }[];
    const r = rows[0];
    return r ? { client: { clientId: r.client_id, scopes: r.scopes }, org: { id: r.org_id, kind: r.org_kind } } : null;
  }
}
