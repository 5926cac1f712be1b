import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, MeasureGroup } from '../../config/configuration';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { DomainEventsService } from '../events/domain-events.service';
import { DomainError, NotFoundError, RuleViolationError } from '../common/domain-error';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { LOCAL_GOVERNMENT_KINDS } from '../organizations/organization.entity';
import { RegisterSafeguardsDto } from './dto/register-safeguards.dto';
import { Safeguard, SafeguardStatus } from './safeguard.entity';
import { MissingMeasuresError, SafeguardStateError } from './safeguards.errors';

const GROUPS: MeasureGroup[] = ['organizational', 'human', 'physical', 'technical'];

export function toSafeguardView(s: Safeguard) {
  return {
    id: s.id,
    organizationId: s.organizationId,
    version: s.version,
    status: s.status,
    legalBasis: s.legalBasis,
    responsibleDepartment: s.responsibleDepartment,
    contactPoint: s.contactPoint,
    privacyOfficer: s.privacyOfficer,
    overallManager: s.overallManager,
    retention: s.retention,
    fileRegisterEntry: s.fileRegisterEntry,
    measures: s.measures,
    purposes: s.purposes,
    attestedBy: s.attestedBy,
    attestedOn: s.attestedOn,
    validUntil: s.validUntil?.toISOString() ?? null,
    reviewedAt: s.reviewedAt?.toISOString() ?? null,
    statusReason: s.statusReason,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}
export type SafeguardView = ReturnType<typeof toSafeguardView>;

@Injectable()
export class SafeguardsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly events: DomainEventsService,
  ) {}

  private get repo() {
    return this.txHost.tx.getRepository(Safeguard);
  }

  private checkMeasures(measures: RegisterSafeguardsDto['measures']): void {
    const missing: string[] = [];
    const unknown: string[] = [];
    for (const group of GROUPS) {
      const catalogue = Object.keys(this.config.measures[group]);
      const given = measures[group];
      missing.push(...catalogue.filter((code) => !given.includes(code)));
      unknown.push(...given.filter((code) => !catalogue.includes(code)).map((code) => `${group}.${code}`));
    }
    if (missing.length || unknown.length) throw new MissingMeasuresError(missing, unknown);
  }

  /** Checks a registration before anything is written; a refusal is audited on its own connection. */
  private async admissible(actor: Actor, dto: RegisterSafeguardsDto): Promise<void> {
    try {
      if (!LOCAL_GOVERNMENT_KINDS.includes(actor.orgKind))
        throw new RuleViolationError('not-a-local-government', 'Only municipalities and prefectures register safeguards.');
      this.checkMeasures(dto.measures);
      if (dto.purposes.includes('ordinance_program') && dto.legalBasis.kind !== 'ordinance')
        throw new RuleViolationError('ordinance-required', 'The ordinance programme purpose needs an ordinance as legal basis.', [
          { field: 'legalBasis.kind', message: 'must be ordinance for ordinance_program' },
        ]);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      await this.audit.recordDetached({ action: 'safeguards.register', resourceType: 'safeguards', outcome: 'denied', reasonCode: err.code });
      throw err.markAudited();
    }
  }

  async register(actor: Actor, dto: RegisterSafeguardsDto): Promise<SafeguardView> {
    await this.admissible(actor, dto);
    return this.store(actor, dto);
  }

  @Transactional()
  private async store(actor: Actor, dto: RegisterSafeguardsDto): Promise<SafeguardView> {
    // Serialise versions per organisation.
    await this.repo.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`safeguards:${actor.orgId}`]);
    const last = await this.repo.createQueryBuilder('s').select('max(s.version)', 'max').where('s.organization_id = :org', { org: actor.orgId }).getRawOne<{ max: number | null }>();
    const saved = await this.repo.save(
      this.repo.create({
        organizationId: actor.orgId,
        version: (last?.max ?? 0) + 1,
        status: 'submitted',
        legalBasis: { ...dto.legalBasis },
        responsibleDepartment: dto.responsibleDepartment,
        contactPoint: { ...dto.contactPoint },
        privacyOfficer: dto.privacyOfficer,
        overallManager: dto.overallManager ?? null,
        retention: { ...dto.retention },
        fileRegisterEntry: dto.fileRegisterEntry ?? null,
        measures: { organizational: dto.measures.organizational, human: dto.measures.human, physical: dto.measures.physical, technical: dto.measures.technical },
        purposes: dto.purposes,
        attestedBy: { ...dto.attestedBy },
        attestedOn: dto.attestedOn,
      }),
    );
    await this.audit.record({ action: 'safeguards.register', resourceType: 'safeguards', resourceId: saved.id, details: { version: saved.version } });
    return toSafeguardView(saved);
  }

  /** The active version (if any) and the newest one, for the municipality itself. */
  async current(orgId: string): Promise<{ active: SafeguardView | null; latest: SafeguardView | null }> {
    const active = await this.findActive(orgId);
    const latest = await this.repo.findOne({ where: { organizationId: orgId }, order: { version: 'DESC' } });
    return { active: active ? toSafeguardView(active) : null, latest: latest ? toSafeguardView(latest) : null };
  }

  async listForOrganization(orgId: string): Promise<SafeguardView[]> {
    const rows = await this.repo.find({ where: { organizationId: orgId }, order: { version: 'DESC' } });
    return rows.map(toSafeguardView);
  }

  async listByStatus(status: SafeguardStatus): Promise<SafeguardView[]> {
    const rows = await this.repo.find({ where: { status }, order: { createdAt: 'ASC' }, take: 500 });
    return rows.map(toSafeguardView);
  }

  /** The version in force right now: status active and not past its validity. */
  async findActive(orgId: string, at = new Date()): Promise<Safeguard | null> {
    return this.repo
      .createQueryBuilder('s')
      .where(`s.organization_id = :orgId AND s.status = 'active' AND s.valid_until > :at`, { orgId, at })
      .getOne();
  }

  private async transition(id: string, from: SafeguardStatus[], action: string): Promise<Safeguard> {
    const s = await this.repo.findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
    if (!s) throw new NotFoundError('safeguard registration');
    if (!from.includes(s.status)) throw new SafeguardStateError(s.status, action);
    return s;
  }

  @Transactional()
  async verify(actor: Actor, id: string, validUntil?: string): Promise<SafeguardView> {
    const s = await this.transition(id, ['submitted'], 'verified');
    const until = validUntil ? new Date(validUntil) : new Date(Date.now() + this.config.policy.limits.safeguardValidityDays * 86_400_000);
    if (until.getTime() <= Date.now())
      throw new RuleViolationError('valid-until-in-past', 'validUntil must be in the future.', [{ field: 'validUntil', message: 'in the past' }]);
    const previous = await this.repo.findOne({ where: { organizationId: s.organizationId, status: 'active' }, lock: { mode: 'pessimistic_write' } });
    if (previous) {
      await this.repo.update({ id: previous.id }, { status: 'superseded', statusReason: `superseded by version ${s.version}` });
      await this.audit.record({ action: 'safeguards.supersede', resourceType: 'safeguards', resourceId: previous.id, details: { version: previous.version } });
    }
    Object.assign(s, { status: 'active', validUntil: until, reviewedBy: actor.id, reviewedAt: new Date(), statusReason: null });
    const saved = await this.repo.save(s);
    await this.audit.record({ action: 'safeguards.verify', resourceType: 'safeguards', resourceId: id, details: { version: s.version, organizationId: s.organizationId, validUntil: until.toISOString() } });
    await this.events.emit('safeguards.verified', { type: 'safeguards', id }, [s.organizationId], { safeguardsId: id, organizationId: s.organizationId, version: s.version, status: 'active', validUntil: until.toISOString() });
    return toSafeguardView(saved);
  }

  @Transactional()
  async reject(actor: Actor, id: string, reason: string): Promise<SafeguardView> {
    const s = await this.transition(id, ['submitted'], 'rejected');
    Object.assign(s, { status: 'rejected', reviewedBy: actor.id, reviewedAt: new Date(), statusReason: reason });
    const saved = await this.repo.save(s);
    await this.audit.record({ action: 'safeguards.reject', resourceType: 'safeguards', resourceId: id, details: { version: s.version, organizationId: s.organizationId } });
    await this.events.emit('safeguards.rejected', { type: 'safeguards', id }, [s.organizationId], { safeguardsId: id, organizationId: s.organizationId, version: s.version, status: 'rejected' });
    return toSafeguardView(saved);
  }

  @Transactional()
  async suspend(actor: Actor, id: string, reason: string): Promise<SafeguardView> {
    const s = await this.transition(id, ['active'], 'suspended');
    Object.assign(s, { status: 'suspended', reviewedBy: actor.id, reviewedAt: new Date(), statusReason: reason });
    const saved = await this.repo.save(s);
    await this.audit.record({ action: 'safeguards.suspend', resourceType: 'safeguards', resourceId: id, details: { version: s.version, organizationId: s.organizationId } });
    await this.events.emit('safeguards.suspended', { type: 'safeguards', id }, [s.organizationId], { safeguardsId: id, organizationId: s.organizationId, version: s.version, status: 'suspended' });
    return toSafeguardView(saved);
  }

  /** Tells each municipality once, 30 days before, that its active safeguards are about to expire (scheduled). */
  @Transactional()
  async notifyExpiring(now: Date): Promise<number> {
    const [rows] = (await this.repo.query(
      `UPDATE safeguards SET expiring_notified_at = $1
        WHERE status = 'active' AND expiring_notified_at IS NULL AND valid_until > $1 AND valid_until <= $1 + interval '30 days'
        RETURNING id, organization_id, version, valid_until`,
      [now],
    )) as [{ id: string; organization_id: string; version: number; valid_until: Date }[], number];
    for (const r of rows) {
      await this.events.emit('safeguards.expiring', { type: 'safeguards', id: r.id }, [r.organization_id], {
        safeguardsId: r.id,
        organizationId: r.organization_id,
        version: r.version,
        status: 'active',
        validUntil: new Date(r.valid_until).toISOString(),
      });
    }
    return rows.length;
  }

  /** Lapses every active version past its validity (scheduled). */
  @Transactional()
  async expireDue(): Promise<number> {
    const rows = (await this.repo.query(
      `UPDATE safeguards SET status = 'expired', status_reason = 'validity ended', updated_at = now()
        WHERE status = 'active' AND valid_until <= now() RETURNING id, organization_id`,
    )) as [{ id: string; organization_id: string }[], number];
    for (const r of rows[0]) {
      await this.audit.record({ action: 'safeguards.expire', resourceType: 'safeguards', resourceId: r.id, actor: { type: 'system', id: null, orgId: null }, details: { organizationId: r.organization_id } });
    }
    return rows[1];
  }
}
