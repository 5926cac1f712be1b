import { Module } from '@nestjs/common';
import { RequestsModule } from '../requests/requests.module';
import { ReleaseRecordsModule } from '../release-records/release-records.module';
import { SafeguardsModule } from '../safeguards/safeguards.module';
import { ErasureModule } from '../erasure/erasure.module';
import { ExpiryService } from './expiry.service';
import { SchedulerService } from './scheduler.service';

@Module({
  imports: [RequestsModule, SafeguardsModule, ReleaseRecordsModule, ErasureModule],
  providers: [ExpiryService, SchedulerService],
  exports: [ExpiryService],
})
export class SchedulerModule {}
