import { ForbiddenError } from '../common/domain-error';

export type DisclosureRefusal = 'not-approved' | 'approval-revoked' | 'access-window-closed' | 'retrievals-exhausted' | 'safeguards-not-active';

const MESSAGES: Record<DisclosureRefusal, string> = {
  'not-approved': 'This request is not approved.',
  'approval-revoked': 'The approval was revoked.',
  'access-window-closed': 'The approved access window has ended.',
  'retrievals-exhausted': 'Every approved retrieval has been used.',
  'safeguards-not-active': 'Your organisation’s safeguards are not active at this moment.',
};

export class DisclosureRefusedError extends ForbiddenError {
  constructor(readonly reason: DisclosureRefusal) {
    super(reason, MESSAGES[reason]);
  }
}
