import type { InfoRequest } from './request.entity';
import { isOverdue } from './request-state';

/** What the requesting municipality sees: never the holder, never the record. */
export function toRequesterView(r: InfoRequest, now: Date = new Date()) {
  return {
    id: r.id,
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
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** What the holder's staff see: who asks, and which record it concerns (by id and public reference). */
export function toHolderView(
  r: InfoRequest,
  extra: { recordRef?: string; requester?: { id: string; name: string; kind: string; localGovernmentCode: string | null } } = {},
  now: Date = new Date(),
) {
  return {
    ...toRequesterView(r, now),
    requesterOrganizationId: r.requesterOrgId,
    requester: extra.requester,
    holderOrganizationId: r.holderOrgId,
    recordId: r.recordId,
    recordRef: extra.recordRef,
    retrievals: r.retrievals,
  };
}
