import { Module } from '@nestjs/common';
import { ReleaseRecordsModule } from '../release-records/release-records.module';
import { DisclosuresController } from './disclosures.controller';
import { DisclosuresService } from './disclosures.service';

@Module({
  imports: [ReleaseRecordsModule],
  controllers: [DisclosuresController],
  providers: [DisclosuresService],
})
export class DisclosuresModule {}
