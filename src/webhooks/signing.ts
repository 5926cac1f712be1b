import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** A new endpoint secret: `whsec_` and base64 of 32 random bytes (Standard Webhooks' format). */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The `webhook-id` of a delivery: one per (event, endpoint), the same on every retry and redelivery. */
export function messageIdOf(deliveryId: string): string {
  return `msg_${deliveryId}`;
}

/**
 * The Standard Webhooks headers of one attempt, signed with the `standardwebhooks` library. While a
 * rotated-out secret is still valid, its signature travels beside the new one (space-separated), so
 * a receiver holding either verifies.
 */
export function signedHeaders(messageId: string, payload: string, secrets: string[], at = new Date()): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(messageId, at, payload));
  return {
    'content-type': 'application/json',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
