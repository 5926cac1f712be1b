import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { IsPlainText, Normalized } from '../../common/dto/validators';
import { PageQueryDto } from '../../common/dto/pagination.dto';
import { EVENT_TYPES } from '../../events/domain-events';
import type { EventType } from '../../events/domain-events';

/** The event a ping sends (to one endpoint only; it cannot be subscribed to). */
export const PING_EVENT_TYPE = 'webhook.ping';

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const WEBHOOK_STATUSES = ['active', 'disabled'] as const;

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.city.example.lg.jp/oie', maxLength: 2048, description: 'https only; never a private, loopback or link-local address.' })
  @IsString()
  @MinLength(1)
  @MaxLength(2048)
  url: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true, example: ['request.decided', 'request.revoked'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  events: EventType[];

  @ApiPropertyOptional({ example: 'Case system, production', maxLength: 200 })
  @IsOptional()
  @Normalized()
  @IsString()
  @MaxLength(200)
  @IsPlainText()
  description?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Administrators: the organisation the webhook belongs to. Clients: their own (may be left out).' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class ListWebhooksQuery extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Administrators: only this organisation’s webhooks.' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class ListDeliveriesQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

// ---- answers ---------------------------------------------------------------------------------

export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ example: 'https://hooks.city.example.lg.jp/oie' }) url: string;
  @ApiProperty({ enum: EVENT_TYPES, isArray: true }) events: string[];
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ enum: WEBHOOK_STATUSES, description: '`disabled` after failing for 5 days; a successful ping enables it again.' }) status: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Since when every attempt has failed (null while the last one succeeded).' }) failingSince: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) disabledAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Until when the secret before the last rotation still signs, beside the new one.' }) previousSecretExpiresAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class CreatedWebhookView extends WebhookView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown only in this answer. Verify deliveries with any Standard Webhooks library.' })
  secret: string;
}

export class RotatedSecretView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The new secret, shown only in this answer.' }) secret: string;
  @ApiProperty({ format: 'date-time', description: 'The previous secret signs beside the new one until then (24 h).' }) previousSecretExpiresAt: string;
}

export class WebhookPage {
  @ApiProperty({ type: [WebhookView] }) items: WebhookView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class AttemptView {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty({ type: Number, nullable: true, description: 'The HTTP status answered, if any.' }) statusCode: number | null;
  @ApiProperty({ description: 'Milliseconds from the start of the attempt to its answer or failure.' }) durationMs: number;
  @ApiProperty({ type: String, nullable: true, example: 'HTTP 503', description: 'Why it failed (never the answer’s body).' }) error: string | null;
}

export class DeliveryView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'msg_5f0c2a4e-7d2b-4b8e-9a57-0f3c1d2e4b6a', description: 'The `webhook-id` header: the same on every retry and redelivery.' }) messageId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The domain event delivered (null for a ping).' }) eventId: string | null;
  @ApiProperty({ example: 'request.decided' }) eventType: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) nextAttemptAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) completedAt: string | null;
  @ApiProperty({ type: [AttemptView], description: 'Every attempt, oldest first.' }) attempts: AttemptView[];
}

export class DeliveryPage {
  @ApiProperty({ type: [DeliveryView] }) items: DeliveryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class DeliveryAcceptedView {
  @ApiProperty({ format: 'uuid' }) deliveryId: string;
  @ApiProperty({ example: 'msg_5f0c2a4e-7d2b-4b8e-9a57-0f3c1d2e4b6a' }) messageId: string;
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
}
