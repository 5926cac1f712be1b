import { ConflictError, RuleViolationError } from '../common/domain-error';

export class WebhookUrlNotAllowedError extends RuleViolationError {
  constructor(why: string) {
    super('webhook-url-not-allowed', `This URL cannot receive webhooks: ${why}.`, [{ field: 'url', message: why }]);
  }
}

export class OrganizationRequiredError extends RuleViolationError {
  constructor() {
    super('organization-required', 'An administrator names the organisation the webhook belongs to (organizationId).', [
      { field: 'organizationId', message: 'required for administrators' },
    ]);
  }
}

export class DeliveryPendingError extends ConflictError {
  constructor() {
    super('delivery-pending', 'This delivery is still being attempted; it can be sent again once it has succeeded or failed.');
  }
}

export class WebhookDisabledError extends ConflictError {
  constructor() {
    super('webhook-disabled', 'This webhook is disabled after failing for 5 days; a successful ping enables it again.');
  }
}
