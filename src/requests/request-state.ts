import type { RequestStatus } from './request.entity';

/**
 * The life of a request: the only transitions there are. Every change of `info_requests.status`
 * goes through `RequestsService.transition` (or, for a retrieval, the one statement in
 * `request-writes.ts`), which checks this table.
 */
export const TRANSITIONS: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  pending: ['awaiting_second_approval', 'approved', 'rejected', 'withdrawn', 'expired'],
  awaiting_second_approval: ['approved', 'rejected', 'withdrawn', 'expired'],
  approved: ['revoked', 'exhausted', 'expired'],
  rejected: [],
  withdrawn: [],
  expired: [],
  revoked: [],
  exhausted: [],
};

export const OPEN_STATUSES: readonly RequestStatus[] = ['pending', 'awaiting_second_approval'];

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isOpen(status: RequestStatus): boolean {
  return OPEN_STATUSES.includes(status);
}

/** Past its deadline and still undecided. */
export function isOverdue(r: { status: RequestStatus; dueAt: Date }, now: Date): boolean {
  return isOpen(r.status) && r.dueAt.getTime() < now.getTime();
}
