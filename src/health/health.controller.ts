import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { LiveDto, ReadyDto } from './dto/health.dto';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Public } from '../auth/decorators';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicator: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'The process is up' })
  @ApiOkResponse({ description: 'Always, while the process runs (no database needed).', type: LiveDto })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  // Documented here rather than by terminus: a failing check answers 503 problem details (the global filter), not terminus' JSON.
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Database reachable and every migration applied (503 otherwise)' })
  @ApiOkResponse({ description: 'Ready: every check is up.', type: ReadyDto })
  @ApiServiceUnavailableResponse({ description: 'Not ready: the database is unreachable or a migration is pending.' })
  ready() {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 2000 }),
      async () => {
        const check = this.indicator.check('migrations');
        try {
          const pending = await this.dataSource.showMigrations();
          return pending ? check.down({ pending: true }) : check.up();
        } catch {
          return check.down({ reachable: false });
        }
      },
    ]);
  }
}
