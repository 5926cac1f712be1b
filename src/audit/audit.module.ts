import { Global, Module } from '@nestjs/common';
import { DENIAL_RECORDER } from '../common/denial-recorder';
import { AuditService } from './audit.service';

@Global()
@Module({
  providers: [AuditService, { provide: DENIAL_RECORDER, useExisting: AuditService }],
  exports: [AuditService, DENIAL_RECORDER],
})
export class AuditModule {}
