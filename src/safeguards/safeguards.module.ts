import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { SafeguardsController } from './safeguards.controller';
import { SafeguardsService } from './safeguards.service';

@Module({
  imports: [OrganizationsModule],
  controllers: [SafeguardsController],
  providers: [SafeguardsService],
  exports: [SafeguardsService],
})
export class SafeguardsModule {}
