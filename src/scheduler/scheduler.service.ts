import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { ExpiryService } from './expiry.service';

const EXPIRY_QUEUE = 'expiry-sweep';

/**
 * Scheduled work through pg-boss: the cron schedule lives in PostgreSQL, so with several
 * instances each minute's sweep is queued once and worked by exactly one of them.
 */
@Injectable()
export class SchedulerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SchedulerService.name);
  private boss?: PgBoss;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly expiry: ExpiryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.schedulerEnabled || !this.config.databaseUrl) return;
    const boss = new PgBoss({ connectionString: this.config.databaseUrl, schema: 'pgboss', max: 3, application_name: 'oie-scheduler' });
    boss.on('error', (err: Error & { code?: string }) => this.logger.warn({ failure: { kind: err.name, sqlState: err.code } }, 'scheduler error'));
    await boss.start();
    await boss.createQueue(EXPIRY_QUEUE);
    await boss.schedule(EXPIRY_QUEUE, '* * * * *', {}, { tz: 'UTC' });
    await boss.work(EXPIRY_QUEUE, async () => {
      await this.expiry.sweep();
      await this.expiry.erase();
      await this.expiry.notify();
    });
    this.boss = boss;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
