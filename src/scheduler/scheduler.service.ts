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

  /** Settles once the scheduler runs, or once it has given up (which is logged). */
  started: Promise<void> = Promise.resolve();
  private stopping = false;

  onApplicationBootstrap(): void {
    if (!this.config.schedulerEnabled || !this.config.databaseUrl) return;
    // In the background: no request needs the scheduler, so readiness does not wait for it.
    this.started = this.start().catch((err: Error & { code?: string }) => {
      this.logger.error(
        { failure: { kind: err.name, sqlState: err.code } },
        'scheduler did not start: expiry, retention erasure and deadline notices do not run until a restart',
      );
    });
  }

  private async start(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const boss = new PgBoss({ connectionString: this.config.databaseUrl, schema: 'pgboss', max: 3, application_name: 'oie-scheduler' });
      boss.on('error', (err: Error & { code?: string }) => this.logger.warn({ failure: { kind: err.name, sqlState: err.code } }, 'scheduler error'));
      try {
        await boss.start();
        await boss.createQueue(EXPIRY_QUEUE);
        await boss.schedule(EXPIRY_QUEUE, '* * * * *', {}, { tz: 'UTC' });
        await boss.work(EXPIRY_QUEUE, async () => {
          await this.expiry.sweep();
          await this.expiry.erase();
          await this.expiry.notify();
        });
        this.boss = boss;
        return;
      } catch (err) {
        await boss.stop({ graceful: false, wait: true, timeout: 1_000 }).catch(() => undefined);
        // Instances started together on an empty database can meet in a deadlock while pg-boss
        // creates its schema: that is transient, so it is tried again a few times.
        const code = (err as { code?: string }).code;
        if (this.stopping || attempt >= 4 || !(code === '40P01' || code === '40001' || code === '23505')) throw err;
        await new Promise((r) => setTimeout(r, 250 * attempt + Math.floor(Math.random() * 250)));
      }
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.started;
    await this.boss?.stop({ graceful: true, wait: true, timeout: 10_000 });
  }
}
