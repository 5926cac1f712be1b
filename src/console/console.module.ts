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
import { ConsoleFilter } from './console.filter';
import { ConsoleGuard } from './console.guard';
import { ConsoleQueries } from './console.queries';
import { RenderService } from './render.service';
import { SessionsService } from './sessions.service';

@Module({
  imports: [UsersModule, OrganizationsModule, RequestsModule, ApprovalsModule, ReleaseRecordsModule, SafeguardsModule, WebhooksModule],
  controllers: [ConsoleController, AuditInsightsConsoleController],
  providers: [RenderService, SessionsService, ConsoleGuard, ConsoleFilter, ConsoleQueries],
})
export class ConsoleModule {}
