import { Module } from '@nestjs/common';
import { MetricsModule } from '../metrics/metrics.module';
import { WebhookDeliveryService } from './webhook-delivery.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

/** Webhook subscriptions (API) and the delivery of domain events to them (pg-boss). */
@Module({
  imports: [MetricsModule],
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookDeliveryService],
  exports: [WebhooksService, WebhookDeliveryService],
})
export class WebhooksModule {}
