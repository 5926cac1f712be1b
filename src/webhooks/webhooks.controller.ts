import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import {
  CreatedWebhookView,
  CreateWebhookDto,
  DeliveryAcceptedView,
  DeliveryPage,
  ListDeliveriesQuery,
  ListWebhooksQuery,
  RotatedSecretView,
  WebhookPage,
  WebhookView,
} from './dto/webhook.dto';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhooksService } from './webhooks.service';

const WHO = { roles: ['admin' as const], scopes: ['webhooks:write' as const] };
const NOT_YOURS = 'No such webhook, or another organisation’s (never says which).';

@ApiTags('webhooks')
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly delivery: WebhookDeliveryService,
  ) {}

  @Post()
  @Authorize({ ...WHO, summary: 'Register a webhook for your organisation (administrators: for any); the secret is shown only in this answer' })
  @ApiCreatedResponse({ type: CreatedWebhookView })
  @ApiNotFoundResponse({ description: 'A client named another organisation.' })
  @ApiUnprocessableEntityResponse({ description: 'webhook-url-not-allowed (not https, or a private, loopback or link-local address), organization-required, unknown-organization.' })
  create(@CurrentActor() actor: Actor, @Body() dto: CreateWebhookDto): Promise<CreatedWebhookView> {
    return this.webhooks.create(actor, dto);
  }

  @Get()
  @Authorize({ ...WHO, summary: 'Your organisation’s webhooks (administrators: every organisation’s, or one’s)' })
  @ApiOkResponse({ type: WebhookPage })
  list(@CurrentActor() actor: Actor, @Query() query: ListWebhooksQuery): Promise<WebhookPage> {
    return this.webhooks.list(actor, query);
  }

  @Get(':id')
  @Authorize({ ...WHO, summary: 'One webhook (never its secret)' })
  @ApiOkResponse({ type: WebhookView })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookView> {
    return this.webhooks.get(actor, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authorize({ ...WHO, summary: 'Delete a webhook; its pending deliveries are cancelled' })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async remove(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.webhooks.remove(actor, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @Authorize({ ...WHO, summary: 'A new secret; the previous one keeps signing beside it for 24 h' })
  @ApiOkResponse({ type: RotatedSecretView })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  rotateSecret(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<RotatedSecretView> {
    return this.webhooks.rotateSecret(actor, id);
  }

  @Post(':id/ping')
  @HttpCode(202)
  @Authorize({ ...WHO, summary: 'Send a `webhook.ping` event to this endpoint only; a successful ping enables a disabled endpoint again' })
  @ApiAcceptedResponse({ type: DeliveryAcceptedView })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async ping(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<DeliveryAcceptedView> {
    const accepted = await this.webhooks.ping(actor, id);
    this.delivery.nudge();
    return accepted;
  }

  @Get(':id/deliveries')
  @Authorize({ ...WHO, summary: 'Recent deliveries, newest first, each with every attempt (time, status code, duration, error)' })
  @ApiOkResponse({ type: DeliveryPage })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  deliveries(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Query() query: ListDeliveriesQuery): Promise<DeliveryPage> {
    return this.webhooks.deliveries(actor, id, query);
  }

  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(202)
  @Authorize({ ...WHO, summary: 'Send a delivery again: same webhook-id and body, a fresh retry schedule' })
  @ApiAcceptedResponse({ type: DeliveryAcceptedView })
  @ApiNotFoundResponse({ description: `${NOT_YOURS} Or no such delivery of this webhook.` })
  @ApiConflictResponse({ description: 'delivery-pending (still being attempted) or webhook-disabled (ping it first).' })
  async redeliver(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ): Promise<DeliveryAcceptedView> {
    const accepted = await this.webhooks.redeliver(actor, id, deliveryId);
    this.delivery.nudge();
    return accepted;
  }
}
