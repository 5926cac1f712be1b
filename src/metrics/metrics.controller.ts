import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { Public } from '../auth/decorators';
import { UnauthenticatedError } from '../common/domain-error';
import { MetricsService } from './metrics.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  private readonly token?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.token = config.metricsToken ? Buffer.from(config.metricsToken) : undefined;
  }

  @Get()
  // Not a user route: guarded here by METRICS_TOKEN when set, not by user tokens.
  @Public()
  @ApiOperation({ summary: 'Prometheus metrics (text format); needs `Authorization: Bearer <METRICS_TOKEN>` when METRICS_TOKEN is set' })
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiUnauthorizedResponse({ description: 'METRICS_TOKEN is set and the bearer token is missing or wrong.' })
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (this.token && !this.authorised(req.headers.authorization)) throw new UnauthenticatedError('unauthenticated', 'The metrics token is required.');
    const body = await this.metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Type', this.metrics.contentType);
    res.send(body);
  }

  private authorised(header: string | undefined): boolean {
    const m = /^Bearer\s+(\S+)$/.exec(header ?? '');
    if (!m || !this.token) return false;
    const given = Buffer.from(m[1]);
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
