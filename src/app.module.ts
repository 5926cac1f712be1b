import { DynamicModule, Module, OnApplicationShutdown, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import type { Request } from 'express';
import type { DestinationStream } from 'pino';
import { APP_CONFIG } from '../config/configuration';
import type { AppConfig } from '../config/configuration';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ProblemDetailsFilter } from './common/problem-details.filter';
import { notInBucket } from './common/rate-limit';
import { REDACT_PATHS } from './common/redact';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { ClockModule } from './common/clock';
import { CryptoModule } from './crypto/crypto.module';
import { HealthModule } from './health/health.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { UsersModule } from './users/users.module';
import { SafeguardsModule } from './safeguards/safeguards.module';
import { ReleaseRecordsModule } from './release-records/release-records.module';
import { RequestsModule } from './requests/requests.module';
import { ApprovalsModule } from './approvals/approvals.module';
import { DisclosuresModule } from './disclosures/disclosures.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { ConsoleModule } from './console/console.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProblemsModule } from './problems/problems.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { ErasureModule } from './erasure/erasure.module';
import { StatisticsModule } from './statistics/statistics.module';

function withStream<T>(options: T, stream?: DestinationStream): T | [T, DestinationStream] {
  return stream ? [options, stream] : options;
}

/**
 * With REDIS_URL, the client and the throttler storage over it. Their modules are loaded only then:
 * they cost start-up time for nothing otherwise.
 */
function redisThrottling(url?: string): { redis?: Redis; storage?: ThrottlerStorage } {
  if (!url) return {};
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { default: IORedis } = require('ioredis') as typeof import('ioredis');
  const { ThrottlerStorageRedisService } = require('@nest-lab/throttler-storage-redis') as typeof import('@nest-lab/throttler-storage-redis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const redis = new IORedis(url, { keyPrefix: 'oie:throttle:', maxRetriesPerRequest: 2 });
  return { redis, storage: new ThrottlerStorageRedisService(redis) };
}

/** Closes the shared Redis connection (rate-limit counters) when the application shuts down. */
class RedisConnection implements OnApplicationShutdown {
  constructor(readonly client?: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client?.quit().catch(() => this.client?.disconnect());
  }
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, opts: { logStream?: DestinationStream } = {}): DynamicModule {
    const { redis, storage } = redisThrottling(config.redisUrl);
    return {
      module: AppModule,
      imports: [
        { module: class ConfigModule {}, global: true, providers: [{ provide: APP_CONFIG, useValue: config }], exports: [APP_CONFIG] },
        LoggerModule.forRoot({
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: withStream(
            {
              level: config.logLevel,
              genReqId: (req) => (req as Request & { id: string }).id,
              redact: { paths: REDACT_PATHS, censor: '[redacted]' },
              serializers: {
                req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: req.url.split('?')[0] }),
                res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
              },
              // The request id is bound once per request as `requestId` (no extra child logger).
              customAttributeKeys: { reqId: 'requestId' },
              autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health/') },
              quietReqLogger: true,
            },
            opts.logStream,
          ),
        }),
        ClsModule.forRoot({
          global: true,
          // Mounted by createApp() as the first middleware after the request id.
          middleware: { mount: false },
          plugins: [
            new ClsPluginTransactional({
              imports: [DatabaseModule],
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
        ThrottlerModule.forRoot({
          // With REDIS_URL the counters live in Redis, so every instance shares one limit.
          storage,
          throttlers: [
            { name: 'auth', ttl: 60_000, limit: config.rateLimits.authPerMinute, skipIf: notInBucket('auth') },
            { name: 'requests', ttl: 60_000, limit: config.rateLimits.requestsPerMinute, skipIf: notInBucket('requests') },
          ],
        }),
        DatabaseModule,
        ClockModule,
        CryptoModule,
        EventsModule,
        AuditModule,
        AuthModule,
        OrganizationsModule,
        UsersModule,
        HealthModule,
        SafeguardsModule,
        ReleaseRecordsModule,
        RequestsModule,
        ApprovalsModule,
        DisclosuresModule,
        ErasureModule,
        StatisticsModule,
        SchedulerModule,
        ConsoleModule,
        MetricsModule,
        ProblemsModule,
        WebhooksModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: RedisConnection, useFactory: () => new RedisConnection(redis) },
      ],
    };
  }
}
