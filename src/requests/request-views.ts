import type { InfoRequest } from './request.entity';
import { isOverdue } from './request-state';

export const ERASURE_STATES = ['not_due', 'due', 'attested', 'overdue'] as const;
export type ErasureState = (typeof ERASURE_STATES)[number];

/** A request's erasure obligation (written when an approval whose data was retrieved ends) and its attestation. */
export interface ErasureInfo {
  dueAt: Date;
  attestedAt: Date | null;
}

/** not_due: nothing to erase (yet); due: ended, erasure owed by `dueAt`; overdue: past it; attested: done. */
export function erasureState(e: ErasureInfo | null | undefined, now: Date): ErasureState {
  if (!e) return 'not_due';
  if (e.attestedAt) return 'attested';
  return e.dueAt.getTime() < now.getTime() ? 'overdue' : 'due';
}

/** What the requesting municipality sees: never the holder, never the record. */
export function toRequesterView(r: InfoRequest, now: Date, erasure: ErasureInfo | null) {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    purpose: r.purpose,
    categories: r.categories,
    legalGround: r.legalGround,
    justification: r.justification,
    approvedCategories: r.approvedCategories,
    accessUntil: r.accessUntil?.toISOString() ?? null,
    maxRetrievals: r.maxRetrievals,
    retrievalsLeft: r.maxRetrievals === null ? null : Math.max(0, r.maxRetrievals - r.retrievals),
    statusReason: r.statusReason,
    expiresAt: r.expiresAt.toISOString(),
    dueAt: r.dueAt.toISOString(),
    overdue: isOverdue(r, now),
    decidedAt: r.decidedAt?.toISOString() ?? null,
    erasure: erasureState(erasure, now),
    erasureDueAt: erasure?.dueAt.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** What the holder's staff see: who asks, and which record it concerns (by id and public reference). */
export function toHolderView(
  r: InfoRequest,
  extra: { recordRef?: string; requester?: { id: string; name: string; kind: string; localGovernmentCode: string | null } },
  now: Date,
  erasure: ErasureInfo | null,
) {
  return {
    ...toRequesterView(r, now, erasure),
    requesterOrganizationId: r.requesterOrgId,
    requester: extra.requester,
    holderOrganizationId: r.holderOrgId,
    recordId: r.recordId,
    recordRef: extra.recordRef,
    retrievals: r.retrievals,
    assignment: r.assignedTo ? { userId: r.assignedTo, since: r.assignedAt!.toISOString() } : null,
  };
}
