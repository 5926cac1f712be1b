import { INestApplication, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import express from 'express';
import { consoleDir, faviconHandler } from './console/render.service';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { ClsMiddleware } from 'nestjs-cls';
import type { Request } from 'express';
import { AppConfig } from '../config/configuration';
import { AppModule } from './app.module';
import { bodyParsing } from './common/body-parsers';
import { QuietNestLogger } from './common/logging';
import { requestId } from './common/request-id';
import type { HttpDrain } from './common/shutdown';
import { createValidationPipe } from './common/validation';
import { setProblemBase } from './common/problem';
import { MetricsService } from './metrics/metrics.service';
import { ProblemDetailsDto } from './common/dto/problem-details.dto';
import { finishDocument } from './common/openapi';

export const API_PREFIX = 'api/v1';

export interface CreateAppOptions {
  /** Where the log lines go (`main.ts`: standard output in the chosen format; tests capture them). */
  logStream?: DestinationStream;
  /** Counts requests in flight and refuses new ones once stopping (`main.ts` stops through it). */
  drain?: HttpDrain;
}

/** Builds the fully configured application; `main.ts` and the e2e tests share it. */
export async function createApp(config: AppConfig, opts: CreateAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, opts), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(new QuietNestLogger(app.get(Logger)));
  app.flushLogs();
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Responses are `no-store` personal data or small API answers: hashing every body for an ETag buys nothing.
  app.set('etag', false);
  setProblemBase(config.problemBaseUrl);
  app.use(requestId);
  if (opts.drain) app.use(opts.drain.middleware);
  app.use(app.get(MetricsService).middleware);
  app.use(
    new ClsMiddleware({
      setup: (cls, req: Request & { id?: string }) => {
        cls.set('requestId', req.id);
        cls.set('sourceIp', req.ip);
      },
    }).use,
  );
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          frameAncestors: ["'none'"],
          formAction: ["'self'"],
          upgradeInsecureRequests: null,
        },
      },
      crossOriginResourcePolicy: { policy: 'same-origin' },
      referrerPolicy: { policy: 'no-referrer' },
    }),
  );
  app.use(
    bodyParsing({
      limit: config.bodyLimit,
      importLimit: config.importBodyLimit,
      formPaths: [`/${API_PREFIX}/auth/token`],
      formPrefixes: ['/console/'],
      textPaths: [`/${API_PREFIX}/release-records/import`],
    }),
  );
  app.use('/console/assets', express.static(consoleDir('assets'), { index: false, fallthrough: false, maxAge: '1h' }));
  app.use('/favicon.ico', faviconHandler());
  app.setGlobalPrefix(API_PREFIX, {
    exclude: [
      { path: 'console', method: RequestMethod.ALL },
      { path: 'console/{*path}', method: RequestMethod.ALL },
      { path: '.well-known/jwks.json', method: RequestMethod.GET },
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
      { path: 'problems', method: RequestMethod.GET },
      { path: 'problems/{*path}', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());

  const openApi = new DocumentBuilder()
    .setTitle('Offender-information exchange (再犯防止施策番号109 情報連携)')
    .setDescription(
      'Controlled exchange of release information between correctional facilities, probation offices and local governments. ' +
        'Every error is RFC 9457 problem details (application/problem+json). Each route states the roles or scopes it allows.',
    )
    .setVersion('1.0')
    // Not open source: the package is UNLICENSED (npm's word for "no licence is granted").
    .setLicense('Proprietary (UNLICENSED): no licence is granted', 'https://docs.npmjs.com/cli/v10/configuring-npm/package-json#license')
    .addServer('/', 'This service: the paths are absolute from the origin that serves this document.')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT (ES256)' })
    .addSecurityRequirements('bearer')
    .build();
  // Built on the first request for it, not at start.
  SwaggerModule.setup('api/docs', app, () => finishDocument(SwaggerModule.createDocument(app, openApi, { extraModels: [ProblemDetailsDto] })), {
    jsonDocumentUrl: 'api/docs-json',
    swaggerOptions: { persistAuthorization: false },
  });
  await app.init();
  return app;
}
