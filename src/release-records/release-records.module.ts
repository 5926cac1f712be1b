import { Module } from '@nestjs/common';
import { ReleaseRecordsController } from './release-records.controller';
import { ReleaseRecordsService } from './release-records.service';

@Module({
  controllers: [ReleaseRecordsController],
  providers: [ReleaseRecordsService],
  exports: [ReleaseRecordsService],
})
export class ReleaseRecordsModule {}
