import { Global, Module } from '@nestjs/common';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import { AuditLogService } from './audit-log.service';
import { AuditQueryService } from './audit-query.service';
import { AuditController } from './audit.controller';
import { AuditInsightsController } from './audit-insights.controller';
import { AuditInsightsService } from './audit-insights.service';
import { AuditService } from './audit.service';
import { WitnessService } from './witness.service';
import { ActorDirectory } from './actor-directory';
import { AuditReviewsController } from './reviews.controller';
import { AuditActionsController } from './actions.controller';
import { AuditReviewsService } from './reviews.service';

@Global()
@Module({
  controllers: [AuditController, AuditReviewsController, AuditActionsController, AuditInsightsController],
  providers: [AuditService, AuditLogService, AuditQueryService, WitnessService, ActorDirectory, AuditReviewsService, AuditInsightsService, { provide: DENIAL_RECORDER, useExisting: AuditService }],
  exports: [AuditService, AuditLogService, AuditQueryService, WitnessService, ActorDirectory, AuditReviewsService, AuditInsightsService, DENIAL_RECORDER],
})
export class AuditModule {}
