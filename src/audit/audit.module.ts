import { Global, Module } from '@nestjs/common';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import { AuditLogService } from './audit-log.service';
import { AuditQueryService } from './audit-query.service';
import { AuditController } from './audit.controller';
import { AuditInsightsController } from './audit-insights.controller';
import { AuditInsightsService } from './audit-insights.service';
import { AuditService } from './audit.service';
import { WitnessService } from './witness.service';

@Global()
@Module({
  controllers: [AuditController, AuditInsightsController],
  providers: [AuditInsightsService, AuditService, AuditLogService, AuditQueryService, WitnessService, { provide: DENIAL_RECORDER, useExisting: AuditService }],
  exports: [AuditInsightsService, AuditService, AuditLogService, AuditQueryService, WitnessService, DENIAL_RECORDER],
})
export class AuditModule {}
