import { Module } from '@nestjs/common';
import { ReleaseRecordsController } from './release-records.controller';
import { ReleaseRecordsService } from './release-records.service';
import { RecordsBackfill } from './records-backfill.service';

@Module({
  controllers: [ReleaseRecordsController],
  providers: [ReleaseRecordsService, RecordsBackfill],
  exports: [ReleaseRecordsService, RecordsBackfill],
})
export class ReleaseRecordsModule {}
