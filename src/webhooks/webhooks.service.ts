import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { Actor } from '../auth/actor';
import { hasRole } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { KeysService } from '../auth/keys.service';
import { Clock } from '../common/clock';
import { DomainError, NotFoundError, RuleViolationError } from '../common/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { urlProblem } from './address-guard';
import {
  AttemptView,
  CreatedWebhookView,
  CreateWebhookDto,
  DeliveryAcceptedView,
  DeliveryView,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  PING_EVENT_TYPE,
  RotatedSecretView,
  WebhookView,
} from './dto/webhook.dto';
import { messageIdOf, newWebhookSecret } from './signing';
import { DeliveryPendingError, OrganizationRequiredError, WebhookDisabledError, WebhookUrlNotAllowedError } from './webhooks.errors';

/** How long the secret before a rotation keeps signing beside the new one. */
export const PREVIOUS_SECRET_VALIDITY_MS = 24 * 3600_000;

export interface SubscriptionRow {
  id: string;
  organization_id: string;
  url: string;
  events: string[];
  description: string | null;
  status: 'active' | 'disabled' | 'deleted';
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
  disabled_at: Date | null;
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  event_id: string | null;
  event_type: string;
  status: string;
  created_at: Date;
  next_attempt_at: Date | null;
  completed_at: Date | null;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function toWebhookView(r: SubscriptionRow): WebhookView {
  return {
    id: r.id,
    organizationId: r.organization_id,
    url: r.url,
    events: r.events,
    description: r.description,
    status: r.status,
    failingSince: iso(r.failing_since),
    disabledAt: iso(r.disabled_at),
    previousSecretExpiresAt: iso(r.previous_secret_expires_at),
    createdAt: new Date(r.created_at).toISOString(),
  };
}

/**
 * Webhook subscriptions of organisations. A client manages its own organisation's; an
 * administrator any. Someone else's webhook is answered exactly like a missing one (404), and the
 * probe is audited.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    private readonly keys: KeysService,
    private readonly clock: Clock,
  ) {}

  private q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.txHost.tx.query(sql, params) as Promise<T[]>;
  }

  private isAdmin(actor: Actor): boolean {
    return actor.type === 'user' && hasRole(actor, 'admin');
  }

  /** Refuses on record (outside the refused work's transaction) and throws. */
  private async refuse(action: string, err: DomainError, resourceId?: string): Promise<never> {
    await this.audit.recordDetached({ action, resourceType: 'webhook', resourceId: resourceId ?? null, outcome: 'denied', reasonCode: err.code });
    throw err.markAudited();
  }

  /** The webhook if the actor may see it; anything else is an audited 404, whether it exists or not. */
  async findVisible(actor: Actor, id: string, action: string, lock = false): Promise<SubscriptionRow> {
    const rows = await this.q<SubscriptionRow>(
      `SELECT * FROM webhook_subscriptions WHERE id = $1 AND status <> 'deleted'${this.isAdmin(actor) ? '' : ' AND organization_id = $2'}${lock ? ' FOR UPDATE' : ''}`,
      this.isAdmin(actor) ? [id] : [id, actor.orgId],
    );
    if (!rows[0]) return this.refuse(action, new NotFoundError('webhook'), id);
    return rows[0];
  }

  @Transactional()
  async create(actor: Actor, dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    let orgId: string;
    if (this.isAdmin(actor)) {
      if (!dto.organizationId) return this.refuse('webhook.create', new OrganizationRequiredError());
      const exists = await this.q(`SELECT 1 FROM organizations WHERE id = $1`, [dto.organizationId]);
      if (!exists.length)
        return this.refuse('webhook.create', new RuleViolationError('unknown-organization', 'The organisation does not exist.', [{ field: 'organizationId', message: 'unknown' }]));
      orgId = dto.organizationId;
    } else {
      // A client registers for its own organisation only; naming another one is a probe, answered as not found.
      if (dto.organizationId && dto.organizationId !== actor.orgId) return this.refuse('webhook.create', new NotFoundError('organisation'));
      orgId = actor.orgId;
    }
    const problem = urlProblem(dto.url, this.config.webhooks.allowedHosts);
    if (problem) return this.refuse('webhook.create', new WebhookUrlNotAllowedError(problem));
    const secret = newWebhookSecret();
    const [row] = await this.q<SubscriptionRow>(
      `INSERT INTO webhook_subscriptions (organization_id, url, events, description, secret_sealed) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
      [orgId, dto.url, dto.events, dto.description || null, this.keys.encrypt(secret)],
    );
    await this.audit.record({ action: 'webhook.create', resourceType: 'webhook', resourceId: row!.id, details: { organizationId: orgId, events: dto.events } });
    return { ...toWebhookView(row!), secret };
  }

  async list(actor: Actor, query: ListWebhooksQuery): Promise<Page<WebhookView>> {
    let org: string | undefined = query.organizationId;
    if (!this.isAdmin(actor)) {
      if (org && org !== actor.orgId) return this.refuse('webhook.list', new NotFoundError('organisation'));
      org = actor.orgId;
    }
    const limit = query.limit ?? 50;
    const params: unknown[] = [limit + 1];
    const where = [`status <> 'deleted'`];
    if (org) where.push(`organization_id = $${params.push(org)}`);
    const cursor = decodeCursor(query.cursor);
    if (cursor) where.push(`(created_at, id) < ($${params.push(cursor.time)}, $${params.push(cursor.id)})`);
    const rows = await this.q<SubscriptionRow>(`SELECT * FROM webhook_subscriptions WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $1`, params);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items: items.map(toWebhookView), nextCursor: rows.length > limit && last ? encodeCursor(new Date(last.created_at), last.id) : null };
  }

  async get(actor: Actor, id: string): Promise<WebhookView> {
    return toWebhookView(await this.findVisible(actor, id, 'webhook.read'));
  }

  @Transactional()
  async remove(actor: Actor, id: string): Promise<void> {
    const sub = await this.findVisible(actor, id, 'webhook.delete', true);
    await this.q(`UPDATE webhook_subscriptions SET status = 'deleted', updated_at = now() WHERE id = $1`, [id]);
    await this.q(`UPDATE webhook_deliveries SET status = 'cancelled', completed_at = now(), next_attempt_at = NULL WHERE subscription_id = $1 AND status = 'pending'`, [id]);
    await this.audit.record({ action: 'webhook.delete', resourceType: 'webhook', resourceId: id, details: { organizationId: sub.organization_id } });
  }

  /** A new secret; the current one keeps signing beside it for 24 h (one rotated-out secret at a time). */
  @Transactional()
  async rotateSecret(actor: Actor, id: string): Promise<RotatedSecretView> {
    const sub = await this.findVisible(actor, id, 'webhook.rotate_secret', true);
    const secret = newWebhookSecret();
    const until = new Date(this.clock.now().getTime() + PREVIOUS_SECRET_VALIDITY_MS);
    await this.q(
      `UPDATE webhook_subscriptions SET previous_secret_sealed = secret_sealed, previous_secret_expires_at = $2, secret_sealed = $3, updated_at = now() WHERE id = $1`,
      [id, until, this.keys.encrypt(secret)],
    );
    await this.audit.record({ action: 'webhook.rotate_secret', resourceType: 'webhook', resourceId: id, details: { organizationId: sub.organization_id, previousSecretExpiresAt: until.toISOString() } });
    return { id, secret, previousSecretExpiresAt: until.toISOString() };
  }

  /** Sends a `webhook.ping` to this endpoint only (also when disabled: a successful ping enables it again). */
  @Transactional()
  async ping(actor: Actor, id: string): Promise<DeliveryAcceptedView> {
    const sub = await this.findVisible(actor, id, 'webhook.ping');
    const now = this.clock.now();
    const payload = JSON.stringify({ type: PING_EVENT_TYPE, timestamp: now.toISOString(), data: { subscriptionId: sub.id } });
    const [d] = await this.q<{ id: string }>(
      `INSERT INTO webhook_deliveries (subscription_id, event_type, event_occurred_at, payload) VALUES ($1, $2, $3, $4) RETURNING id`,
      [sub.id, PING_EVENT_TYPE, now, payload],
    );
    await this.audit.record({ action: 'webhook.ping', resourceType: 'webhook', resourceId: id, details: { organizationId: sub.organization_id, deliveryId: d!.id } });
    return { deliveryId: d!.id, messageId: messageIdOf(d!.id), status: 'pending' };
  }

  async deliveries(actor: Actor, id: string, query: ListDeliveriesQuery): Promise<Page<DeliveryView>> {
    await this.findVisible(actor, id, 'webhook.deliveries');
    const limit = query.limit ?? 50;
    const params: unknown[] = [id, limit + 1];
    const where = ['subscription_id = $1'];
    if (query.status) where.push(`status = $${params.push(query.status)}`);
    const cursor = decodeCursor(query.cursor);
    if (cursor) where.push(`(created_at, id) < ($${params.push(cursor.time)}, $${params.push(cursor.id)})`);
    const rows = await this.q<DeliveryRow>(
      `SELECT id, event_id, event_type, status, created_at, next_attempt_at, completed_at FROM webhook_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $2`,
      params,
    );
    const items = rows.slice(0, limit);
    const attempts = await this.attemptsOf(items.map((r) => r.id));
    const last = items[items.length - 1];
    return {
      items: items.map((r) => ({
        id: r.id,
        messageId: messageIdOf(r.id),
        eventId: r.event_id,
        eventType: r.event_type,
        status: r.status,
        createdAt: new Date(r.created_at).toISOString(),
        nextAttemptAt: iso(r.next_attempt_at),
        completedAt: iso(r.completed_at),
        attempts: attempts.get(r.id) ?? [],
      })),
      nextCursor: rows.length > limit && last ? encodeCursor(new Date(last.created_at), last.id) : null,
    };
  }

  async attemptsOf(deliveryIds: string[]): Promise<Map<string, AttemptView[]>> {
    const out = new Map<string, AttemptView[]>();
    if (!deliveryIds.length) return out;
    const rows = await this.q<{ delivery_id: string; attempted_at: Date; status_code: number | null; duration_ms: number; error: string | null }>(
      `SELECT delivery_id, attempted_at, status_code, duration_ms, error FROM webhook_delivery_attempts WHERE delivery_id = ANY($1::uuid[]) ORDER BY id`,
      [deliveryIds],
    );
    for (const r of rows) {
      const list = out.get(r.delivery_id) ?? [];
      list.push({ at: new Date(r.attempted_at).toISOString(), statusCode: r.status_code, durationMs: r.duration_ms, error: r.error });
      out.set(r.delivery_id, list);
    }
    return out;
  }

  /** An organisation's webhooks and its most recent deliveries, each with its last attempt (the console). */
  async overview(orgId: string, limit = 50) {
    const subs = await this.q<SubscriptionRow>(`SELECT * FROM webhook_subscriptions WHERE organization_id = $1 AND status <> 'deleted' ORDER BY created_at DESC, id DESC`, [orgId]);
    const rows = await this.q<DeliveryRow & { subscription_id: string; attempts: number; last_status: number | null; last_error: string | null; last_at: Date | null }>(
      `SELECT d.id, d.subscription_id, d.event_id, d.event_type, d.status, d.attempts, d.created_at, d.next_attempt_at, d.completed_at,
              a.status_code AS last_status, a.error AS last_error, a.attempted_at AS last_at
         FROM webhook_deliveries d
         JOIN webhook_subscriptions s ON s.id = d.subscription_id AND s.organization_id = $1 AND s.status <> 'deleted'
         LEFT JOIN LATERAL (SELECT status_code, error, attempted_at FROM webhook_delivery_attempts WHERE delivery_id = d.id ORDER BY id DESC LIMIT 1) a ON true
        ORDER BY d.created_at DESC, d.id DESC LIMIT $2`,
      [orgId, limit],
    );
    const urls = new Map(subs.map((s) => [s.id, s.url]));
    return {
      webhooks: subs.map(toWebhookView),
      deliveries: rows.map((r) => ({
        id: r.id,
        messageId: messageIdOf(r.id),
        url: urls.get(r.subscription_id) ?? '',
        eventType: r.event_type,
        status: r.status,
        attempts: r.attempts,
        createdAt: new Date(r.created_at).toISOString(),
        nextAttemptAt: iso(r.next_attempt_at),
        lastStatusCode: r.last_status,
        lastError: r.last_error,
        lastAttemptAt: iso(r.last_at),
      })),
    };
  }

  /** Sends a delivery again with the same `webhook-id` and body, and a fresh retry schedule. */
  @Transactional()
  async redeliver(actor: Actor, id: string, deliveryId: string): Promise<DeliveryAcceptedView> {
    const sub = await this.findVisible(actor, id, 'webhook.redeliver', true);
    const rows = await this.q<{ id: string; status: string }>(`SELECT id, status FROM webhook_deliveries WHERE id = $1 AND subscription_id = $2 FOR UPDATE`, [deliveryId, id]);
    const d = rows[0];
    if (!d) return this.refuse('webhook.redeliver', new NotFoundError('delivery'), id);
    if (d.status === 'pending') return this.refuse('webhook.redeliver', new DeliveryPendingError(), id);
    if (sub.status === 'disabled') return this.refuse('webhook.redeliver', new WebhookDisabledError(), id);
    await this.q(
      `UPDATE webhook_deliveries SET status = 'pending', retry_step = 0, pending_since = now(), enqueued_at = NULL, next_attempt_at = now(), completed_at = NULL WHERE id = $1`,
      [deliveryId],
    );
    await this.audit.record({ action: 'webhook.redeliver', resourceType: 'webhook', resourceId: id, details: { organizationId: sub.organization_id, deliveryId } });
    return { deliveryId, messageId: messageIdOf(deliveryId), status: 'pending' };
  }
}
