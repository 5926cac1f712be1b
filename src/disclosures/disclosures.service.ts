import { Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import type { Category } from '../../config/configuration';
import type { Actor } from '../auth/actor';
import { TokensService } from '../auth/tokens.service';
import { AuditService } from '../audit/audit.service';
import { AuditLogService } from '../audit/audit-log.service';
import { NotFoundError } from '../common/domain-error';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import { ReleaseRecord } from '../release-records/release-record.entity';
import { InfoRequest } from '../requests/request.entity';
import { SafeguardsService } from '../safeguards/safeguards.service';
import { Disclosure } from './disclosure.entity';
import { disclosedData } from './disclosure-data';
import { DisclosureRefusal, DisclosureRefusedError } from './disclosures.errors';

export interface DisclosureAnswer {
  requestId: string;
  categories: Category[];
  data: Record<string, unknown>;
  retrievalsLeft: number;
  accessUntil: string;
  retrievedAt: string;
  auditEventId: string;
  receipt: string;
}

export function digestOf(data: unknown): string {
  return createHash('sha256').update(canonicalize(data) ?? '').digest('base64url');
}

@Injectable()
export class DisclosuresService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly safeguards: SafeguardsService,
    private readonly tokens: TokensService,
    private readonly auditLog: AuditLogService,
  ) {}

  private refusalFor(r: InfoRequest, now: Date): DisclosureRefusal | null {
    switch (r.status) {
      case 'approved':
        if (!r.accessUntil || r.accessUntil <= now) return 'access-window-closed';
        if (r.maxRetrievals === null || r.retrievals >= r.maxRetrievals) return 'retrievals-exhausted';
        return null;
      case 'revoked':
        return 'approval-revoked';
      case 'exhausted':
        return 'retrievals-exhausted';
      case 'expired':
        return r.accessUntil ? 'access-window-closed' : 'not-approved';
      case 'pending':
      case 'awaiting_second_approval':
      case 'rejected':
      case 'withdrawn':
        return 'not-approved';
    }
  }

  /**
   * One retrieval: lock the request, check every condition at this moment, count it, write the
   * audit event and the disclosure row, all in one transaction that commits before any data leaves.
   * If the audit insert fails, the transaction rolls back and nothing is returned.
   */
  async retrieve(actor: Actor, id: string): Promise<DisclosureAnswer> {
    let refused: { reason: DisclosureRefusal | 'not-found'; recordId: string | null } | undefined;
    const answer = await this.txHost.withTransaction(async () => {
      const tx = this.txHost.tx;
      const r = await tx
        .getRepository(InfoRequest)
        .createQueryBuilder('r')
        .where('r.id = :id AND r.requester_org_id = :org', { id, org: actor.orgId })
        .setLock('pessimistic_write')
        .getOne();
      if (!r) {
        refused = { reason: 'not-found', recordId: null };
        return null;
      }
      const now = new Date();
      let reason = this.refusalFor(r, now);
      if (!reason && !(await this.safeguards.findActive(actor.orgId, now))) reason = 'safeguards-not-active';
      if (reason) {
        refused = { reason, recordId: r.recordId };
        return null;
      }
      const record = await tx.getRepository(ReleaseRecord).findOneByOrFail({ id: r.recordId });
      const categories = r.approvedCategories ?? [];
      const data = disclosedData(record, categories);
      const dataDigest = digestOf(data);
      const retrievals = r.retrievals + 1;
      const exhausted = retrievals >= r.maxRetrievals!;
      await tx.query(`UPDATE info_requests SET retrievals = $2, status = $3, updated_at = now() WHERE id = $1`, [r.id, retrievals, exhausted ? 'exhausted' : 'approved']);
      const auditEventId = await this.audit.record({
        action: 'disclosure.retrieve',
        resourceType: 'request',
        resourceId: r.id,
        recordId: r.recordId,
        details: { categories, dataDigest, retrieval: retrievals },
      });
      await tx.getRepository(Disclosure).insert({ requestId: r.id, recordId: r.recordId, recipientOrgId: actor.orgId, categories, dataDigest, auditEventId, retrievedAt: now });
      // The latest signed checkpoint rides along: every recipient holds a witness of the log.
      const cp = await this.auditLog.recentCheckpoint();
      const checkpoint = cp ? { treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, signature: cp.signature } : null;
      const receipt = await this.tokens.signPayload(
        { requestId: r.id, categories, dataDigest, digestAlg: 'sha-256/jcs', retrievedAt: now.toISOString(), auditEventId, recipient: actor.orgId, checkpoint },
        'oie-receipt+jwt',
      );
      return {
        requestId: r.id,
        categories,
        data,
        retrievalsLeft: r.maxRetrievals! - retrievals,
        accessUntil: r.accessUntil!.toISOString(),
        retrievedAt: now.toISOString(),
        auditEventId,
        receipt,
      };
    });
    if (!answer) {
      const { reason, recordId } = refused!;
      await this.audit.recordDetached({ action: 'disclosure.retrieve', resourceType: 'request', resourceId: id, recordId, outcome: 'denied', reasonCode: reason });
      if (reason === 'not-found') throw new NotFoundError('request').markAudited();
      throw new DisclosureRefusedError(reason).markAudited();
    }
    return answer;
  }

  /** Who received what about one person, when and why: for the holder's staff and auditors. */
  async historyForRecord(recordId: string) {
    const rows = (await this.txHost.tx.query(
      `SELECT d.id, d.request_id, d.recipient_org_id, o.name AS recipient_name, d.categories, d.retrieved_at, d.audit_event_id, d.data_digest,
              r.purpose, r.legal_ground->>'kind' AS legal_ground
         FROM disclosures d JOIN info_requests r ON r.id = d.request_id JOIN organizations o ON o.id = d.recipient_org_id
        WHERE d.record_id = $1 ORDER BY d.retrieved_at DESC LIMIT 1000`,
      [recordId],
    )) as { id: string; request_id: string; recipient_org_id: string; recipient_name: string; categories: string[]; retrieved_at: Date; audit_event_id: string; data_digest: string; purpose: string; legal_ground: string }[];
    return rows.map((d) => ({
      id: d.id,
      requestId: d.request_id,
      recipient: { id: d.recipient_org_id, name: d.recipient_name },
      categories: d.categories,
      purpose: d.purpose,
      legalGround: d.legal_ground,
      retrievedAt: new Date(d.retrieved_at).toISOString(),
      auditEventId: String(d.audit_event_id),
      dataDigest: d.data_digest,
    }));
  }
}
