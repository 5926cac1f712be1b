import { Module } from '@nestjs/common';
import { ApprovalsModule } from '../approvals/approvals.module';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ReleaseRecordsModule } from '../release-records/release-records.module';
import { RequestsModule } from '../requests/requests.module';
import { SafeguardsModule } from '../safeguards/safeguards.module';
import { UsersModule } from '../users/users.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { AuditInsightsConsoleController } from './audit-insights.console.controller';
import { ConsoleController } from './console.controller';
import { AuditWorkbench } from './audit-workbench';
import { AuditWorkbenchController } from './audit-workbench.controller';
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { ConsoleQueries } from './console.queries';
import { OfficerController } from './officer.controller';
import { RenderService } from './render.service';
import { SessionsService } from './sessions.service';
import { StatisticsConsoleController } from './statistics.controller';
import { StatisticsModule } from '../statistics/statistics.module';

@Module({
  imports: [UsersModule, OrganizationsModule, RequestsModule, ApprovalsModule, ReleaseRecordsModule, SafeguardsModule, WebhooksModule, StatisticsModule],
  controllers: [ConsoleController, OfficerController, StatisticsConsoleController, AuditWorkbenchController, AuditInsightsConsoleController],
  providers: [RenderService, SessionsService, ConsoleGuard, ConsoleFilter, ConsoleQueries, AuditWorkbench],
})
export class ConsoleModule {}
