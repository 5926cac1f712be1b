import { Global, Module } from '@nestjs/common';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import { AuditLogService } from './audit-log.service';
import { AuditQueryService } from './audit-query.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';
import { WitnessService } from './witness.service';
import { ActorDirectory } from './actor-directory';
import { AuditReviewsController } from './reviews.controller';
import { AuditActionsController } from './actions.controller';
import { AuditReviewsService } from './reviews.service';

@Global()
@Module({
  controllers: [AuditController, AuditReviewsController, AuditActionsController],
  providers: [AuditService, AuditLogService, AuditQueryService, WitnessService, ActorDirectory, AuditReviewsService, { provide: DENIAL_RECORDER, useExisting: AuditService }],
  exports: [AuditService, AuditLogService, AuditQueryService, WitnessService, ActorDirectory, AuditReviewsService, DENIAL_RECORDER],
})
export class AuditModule {}
