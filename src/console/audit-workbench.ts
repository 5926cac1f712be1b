import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { ApprovalsService } from '../approvals/approvals.service';
import { ACTION_GROUP_KEYS, ACTION_GROUPS, actionInfo, isActionGroup } from '../audit/actions';
import type { Label } from '../audit/actions';
import { ActorDirectory } from '../audit/actor-directory';
import { toEventView } from '../audit/audit-query.service';
import { AuditService } from '../audit/audit.service';
import { NotFoundError } from '../common/domain-error';
import { Clock } from '../common/clock';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { OrganizationsService } from '../organizations/organizations.service';
import { isProblemSlug, PROBLEM_TYPES } from '../problems/catalogue';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { InfoRequest } from '../requests/request.entity';
import { toHolderView } from '../requests/request-views';
import { RequestsService } from '../requests/requests.service';
import { ConsoleQueries } from './console.queries';
import { DICTIONARIES, Lang } from './i18n';

type EventView = ReturnType<typeof toEventView>;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The console's `action` picker value: a group key (no dot) or one action code. */
export function splitActionChoice(value: string | undefined): { group?: string; action?: string } {
  if (!value) return {};
  return isActionGroup(value) ? { group: value } : { action: value };
}

/**
 * What the auditor's pages add to raw events: labels instead of codes, actors by name and
 * organisation, links to the request or record an event concerns; and the auditor's own views of
 * a request and a record, across organisations, each read on record.
 */
@Injectable()
export class AuditWorkbench {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly actors: ActorDirectory,
    private readonly audit: AuditService,
    private readonly requests: RequestsService,
    private readonly approvals: ApprovalsService,
    private readonly records: ReleaseRecordsService,
    private readonly organizations: OrganizationsService,
    private readonly queries: ConsoleQueries,
    private readonly clock: Clock,
  ) {}

  /** The picker: one optgroup per operation, its "all codes" choice first, then each code. */
  picker(lang: Lang, selected: string | undefined) {
    return ACTION_GROUP_KEYS.map((key) => {
      const g = ACTION_GROUPS[key];
      return {
        key,
        label: g.label[lang],
        selected: selected === key,
        options: Object.entries(g.actions as Record<string, Label>).map(([code, label]) => ({ code, label: label[lang], selected: selected === code })),
      };
    });
  }

  /** Events as the auditor reads them. Names are of staff and clients only; the events themselves hold ids. */
  async present(items: EventView[], lang: Lang) {
    const names = await this.actors.names(items.map((e) => ({ type: e.actorType, id: e.actorId })));
    const orgNames = await this.queries.orgNames(items.map((e) => e.organizationId).filter((x): x is string => !!x));
    const t = DICTIONARIES[lang];
    return items.map((e) => {
      const info = actionInfo(e.action);
      const found = e.actorId ? names.get(`${e.actorType}:${e.actorId}`) : undefined;
      // A client without a name is known by its client id: shown as an id (code), not as a name.
      const unnamedClient = !!found && e.actorType === 'client' && found.name === null;
      const named = unnamedClient ? undefined : found;
      const org = named?.organizationName ?? (e.organizationId ? orgNames.get(e.organizationId) : undefined);
      const actorLabel =
        e.actorType === 'system' ? t.actorSystem : e.actorType === 'anonymous' ? t.actorAnonymous : named?.name ? named.name : e.actorType === 'client' ? t.actorUnknownClient : t.actorUnknownUser;
      const requestId = e.resourceType === 'request' && e.resourceId && UUID.test(e.resourceId) ? e.resourceId : null;
      const recordId = e.recordId ?? (e.resourceType === 'release_record' && e.resourceId && UUID.test(e.resourceId) ? e.resourceId : null);
      return {
        id: e.id,
        occurredAt: e.occurredAt,
        outcome: e.outcome,
        action: e.action,
        actionLabel: info ? info.label[lang] : e.action,
        groupLabel: info ? ACTION_GROUPS[info.group].label[lang] : undefined,
        reasonLabel: e.reasonCode ? (isProblemSlug(e.reasonCode) ? PROBLEM_TYPES[e.reasonCode].title[lang] : e.reasonCode) : undefined,
        reasonCode: e.reasonCode,
        actorLabel,
        actorCode: unnamedClient ? e.actorId : undefined,
        actorOrg: org ?? (unnamedClient ? found.organizationName : null) ?? null,
        actorId: e.actorId,
        actorFilterable: !!e.actorId && (e.actorType === 'user' || e.actorType === 'client'),
        requestId,
        requestShort: requestId?.slice(0, 8),
        recordId,
        recordShort: recordId?.slice(0, 8),
        review: e.resourceType === 'audit_review' && e.outcome === 'success',
        leafIndex: e.leafIndex,
      };
    });
  }

  /** Who an actor id is, for the note above results filtered by it (staff or client; unknown: none). */
  async actorNamed(id: string): Promise<{ name: string; organizationName: string | null } | undefined> {
    const names = await this.actors.names([{ type: 'user', id }, { type: 'client', id }]);
    const named = names.get(`user:${id}`) ?? names.get(`client:${id}`);
    // a client without a name: the page shows its id, as code
    return named?.name ? { name: named.name, organizationName: named.organizationName } : undefined;
  }

  /** A request seen by an auditor (any organisation); the read is an audit event. */
  @Transactional()
  async request(id: string) {
    const r = await this.txHost.tx.getRepository(InfoRequest).findOneBy({ id });
    if (!r) {
      await this.audit.recordDetached({ action: 'request.read', resourceType: 'request', resourceId: id, outcome: 'denied', reasonCode: 'not-found', details: { channel: 'console', view: 'audit' } });
      throw new NotFoundError('request').markAudited();
    }
    // One after another: inside this transaction they share one connection, which runs one query
    // at a time anyway (queueing more on it is deprecated in node-postgres).
    const record = await this.records.findById(r.recordId);
    const requester = await this.organizations.find(r.requesterOrgId);
    const holder = await this.organizations.find(r.holderOrgId);
    const erasure = await this.requests.erasureOf(r.id);
    const decisions = await this.approvals.decisions(r.id);
    const deciders = await this.actors.names(decisions.map((d) => ({ type: 'user', id: d.decidedBy })));
    await this.audit.record({ action: 'request.read', resourceType: 'request', resourceId: id, recordId: r.recordId, details: { channel: 'console', view: 'audit' } });
    const view = toHolderView(
      r,
      { recordRef: record?.recordRef, requester: requester ? { id: requester.id, name: requester.name, kind: requester.kind, localGovernmentCode: requester.localGovernmentCode } : undefined },
      this.clock.now(),
      erasure,
    );
    return {
      req: view,
      holderName: holder?.name ?? '—',
      recordErased: !record || !!record.erasedAt,
      decisions: decisions.map((d) => ({ ...d, deciderName: deciders.get(`user:${d.decidedBy}`)?.name ?? '—' })),
      purposeLabel: this.config.policy.purposes[view.purpose]?.label,
    };
  }

  /**
   * A record seen by an auditor: what identifies it in the log (reference, holder, when registered),
   * never the fields about the person, which only the holder's staff read (the contract gives
   * auditors the audit trail and the disclosure history, not the record). The visit is on record.
   */
  @Transactional()
  async record(id: string) {
    const r = await this.records.findById(id);
    if (!r || r.erasedAt) return this.records.notVisible('record.read', id);
    await this.audit.record({ action: 'record.read', resourceType: 'release_record', resourceId: id, recordId: id, details: { channel: 'console', view: 'audit', fields: [] } });
    const holder = await this.organizations.find(r.holderOrgId);
    return { r: { id: r.id, recordRef: r.recordRef, createdAt: r.createdAt.toISOString() }, holderName: holder?.name ?? '—' };
  }

}
