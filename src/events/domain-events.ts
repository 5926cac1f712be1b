/** Every event type another party is told about (the contract's "Events and webhooks"). */
export const EVENT_TYPES = [
  'request.created',
  'request.second_approval_required',
  'request.decided',
  'request.revoked',
  'request.access_ending',
  'request.due_soon',
  'request.overdue',
  'safeguards.verified',
  'safeguards.rejected',
  'safeguards.suspended',
  'safeguards.expiring',
  'erasure.due',
  'erasure.overdue',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export type EventSubject = 'request' | 'safeguards' | 'record';

/**
 * What an event carries: ids, states, categories and times. Never a name, birth date, address or
 * any other field about a person (the values are typed so that nothing else fits).
 */
export type EventData = Record<string, string | number | boolean | null | string[]>;

export interface DomainEvent {
  id: string;
  seq: number;
  type: EventType;
  occurredAt: string;
  subjectType: EventSubject;
  subjectId: string;
  /** The organisations the event concerns: their webhooks receive it. */
  organizationIds: string[];
  data: EventData;
}
