import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ReleaseRecordsModule } from '../release-records/release-records.module';
import { SafeguardsModule } from '../safeguards/safeguards.module';
import { RequestsController } from './requests.controller';
import { RequestsService } from './requests.service';

@Module({
  imports: [SafeguardsModule, ReleaseRecordsModule, OrganizationsModule],
  controllers: [RequestsController],
  providers: [RequestsService],
  exports: [RequestsService],
})
export class RequestsModule {}
