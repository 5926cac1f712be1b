import { Inject, Injectable } from '@nestjs/common';
import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import type { Category } from '../../config/configuration';
import type { Actor } from '../auth/actor';
import { TokensService } from '../auth/tokens.service';
import { AUDIT_INSERT_COLUMNS, AuditService } from '../audit/audit.service';
import { AuditLogService } from '../audit/audit-log.service';
import { NotFoundError } from '../common/domain-error';
import { TransactionHost, TypeOrmAdapter } from '../database/transaction';
import { disclosingCategories, fromOpened, RECORD_CIPHER, sealedOf } from '../crypto/record-fields';
import type { RecordCipher, SealedColumn } from '../crypto/record-fields';
import type { RequestStatus } from '../requests/request.entity';
import { retrievalWriteSql } from '../requests/request-writes';
import { DisclosableRecord, disclosedData } from './disclosure-data';
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

/**
 * Each sealed column the approved categories disclose, and null for the others: the service never
 * receives, nor opens, a field it will not disclose (the consents are never read here).
 */
const DISCLOSED_COLUMNS_SQL = (Object.entries(disclosingCategories()) as [SealedColumn, string[]][])
  .map(([column, by]) => `CASE WHEN r.approved_categories && '{${by.join(',')}}'::text[] THEN rec.${column} END AS ${column}`)
  .join(',\n         ');

/**
 * The request (locked), whether the requester's safeguards are in force now, and the record's
 * sealed columns its approved categories disclose with its wrapped data key, read in the same
 * statement (a key rotation re-wraps the key in one atomic update, so the pair read here always
 * belongs together).
 */
export const LOCK_SQL = `SELECT r.status, r.record_id, r.approved_categories, r.access_until, r.max_retrievals, r.retrievals,
         EXISTS (SELECT 1 FROM safeguards s
                  WHERE s.organization_id = r.requester_org_id AND s.status = 'active' AND s.valid_until > $3) AS safeguards_active,
         rec.erased_at IS NOT NULL AS erased, rec.kek_id, rec.dek_wrapped, rec.residence_code,
         ${DISCLOSED_COLUMNS_SQL}
    FROM info_requests r JOIN release_records rec ON rec.id = r.record_id
   WHERE r.id = $1 AND r.requester_org_id = $2
     FOR UPDATE OF r`;

const WRITE_SQL = retrievalWriteSql(AUDIT_INSERT_COLUMNS);

type LockedRequest = {
  status: RequestStatus;
  record_id: string;
  approved_categories: Category[] | null;
  access_until: Date | null;
  max_retrievals: number | null;
  retrievals: number;
  safeguards_active: boolean;
  erased: boolean;
  kek_id: string | null;
  dek_wrapped: Buffer | null;
  residence_code: string | null;
} & Partial<Record<SealedColumn, Buffer | null>>;

/**
 * Opens the sealed columns the statement read (in memory only, after every check has passed): those
 * of the approved categories; the fields of the others stay null and no category reads them.
 */
export async function openDisclosable(cipher: RecordCipher, r: LockedRequest): Promise<DisclosableRecord> {
  const p = fromOpened(await cipher.open(r.record_id, { kekId: r.kek_id!, wrapped: r.dek_wrapped! }, sealedOf(r)));
  return { ...p, residenceCode: r.residence_code! };
}

@Injectable()
export class DisclosuresService {
  constructor(
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly tokens: TokensService,
    private readonly auditLog: AuditLogService,
    @Inject(RECORD_CIPHER) private readonly cipher: RecordCipher,
  ) {}

  private refusalFor(r: LockedRequest, now: Date): DisclosureRefusal | null {
    switch (r.status) {
      case 'approved':
        if (!r.access_until || r.access_until <= now) return 'access-window-closed';
        if (r.max_retrievals === null || r.retrievals >= r.max_retrievals) return 'retrievals-exhausted';
        if (!r.safeguards_active) return 'safeguards-not-active';
        return null;
      case 'revoked':
        return 'approval-revoked';
      case 'exhausted':
        return 'retrievals-exhausted';
      case 'expired':
        return r.access_until ? 'access-window-closed' : 'not-approved';
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
   *
   * Four round trips: BEGIN; the locking read (request, its record's sealed columns and wrapped
   * data key, and whether the requester's safeguards are in force, in one statement; the data key is
   * unwrapped and the values opened here, in memory); the writes (counter, audit event, disclosure row,
   * in one statement); COMMIT. `test/bench/disclosure.pgbench.sql` runs the same SQL.
   */
  async retrieve(actor: Actor, id: string): Promise<DisclosureAnswer> {
    let refused: { reason: DisclosureRefusal | 'not-found'; recordId: string | null } | undefined;
    // Read before the transaction: a request holding a connection never waits for a second one.
    const cp = await this.auditLog.recentCheckpoint();
    const answer = await this.txHost.withTransaction(async () => {
      const tx = this.txHost.tx;
      const now = new Date();
      const [r] = (await tx.query(LOCK_SQL, [id, actor.orgId, now])) as LockedRequest[];
      // A request on an erased record answers as a request that does not exist.
      if (!r || r.erased) {
        refused = { reason: 'not-found', recordId: null };
        return null;
      }
      const reason = this.refusalFor(r, now);
      if (reason) {
        refused = { reason, recordId: r.record_id };
        return null;
      }
      const categories = r.approved_categories ?? [];
      const data = disclosedData(await openDisclosable(this.cipher, r), categories);
      const dataDigest = digestOf(data);
      const retrievals = r.retrievals + 1;
      const exhausted = retrievals >= r.max_retrievals!;
      const event = this.audit.values({
        action: 'disclosure.retrieve',
        resourceType: 'request',
        resourceId: id,
        recordId: r.record_id,
        details: { categories, dataDigest, retrieval: retrievals },
      });
      const [written] = (await tx.query(WRITE_SQL, [
        id,
        retrievals,
        exhausted ? 'exhausted' : 'approved',
        r.record_id,
        actor.orgId,
        categories,
        dataDigest,
        now,
        ...event,
      ])) as { audit_event_id: string }[];
      const auditEventId = String(written!.audit_event_id);
      // The latest signed checkpoint rides along, also as a C2SP signed note with the witnesses'
      // cosignatures received so far: every recipient holds a checkpoint to hold the log to.
      const checkpoint = cp ? { treeSize: cp.treeSize, rootHash: cp.rootHash, time: cp.time, signature: cp.signature, note: cp.note ?? null } : null;
      const receipt = await this.tokens.signPayload(
        { requestId: id, categories, dataDigest, digestAlg: 'sha-256/jcs', retrievedAt: now.toISOString(), auditEventId, recipient: actor.orgId, checkpoint },
        'oie-receipt+jwt',
      );
      return {
        requestId: id,
        categories,
        data,
        retrievalsLeft: r.max_retrievals! - retrievals,
        accessUntil: r.access_until!.toISOString(),
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
