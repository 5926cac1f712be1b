import type { LoggerService } from '@nestjs/common';
import { chooseLogFormat, LIFECYCLE, prettyMessage, QuietNestLogger } from './logging';

const plain = { bold: (s: string) => `*${s}*`, dim: (s: string) => `_${s}_` };

describe('log format', () => {
  it('takes LOG_FORMAT when set, else pretty on a terminal and JSON otherwise', () => {
    expect(chooseLogFormat(undefined, true)).toBe('pretty');
    expect(chooseLogFormat(undefined, false)).toBe('json');
    expect(chooseLogFormat('json', true)).toBe('json');
    expect(chooseLogFormat('pretty', false)).toBe('pretty');
  });

  it('writes a request as one line, a context in brackets, and the lifecycle lines in bold', () => {
    expect(
      prettyMessage(
        { msg: 'request completed', req: { method: 'GET', path: '/api/v1/x' }, res: { statusCode: 404 }, responseTime: 3, requestId: 'r-1' },
        plain,
      ),
    ).toBe('GET /api/v1/x → 404 in 3 ms_ (request r-1)_');
    expect(prettyMessage({ msg: 'no administrator exists', context: 'AuthService' }, plain)).toBe('_[AuthService] _no administrator exists');
    expect(prettyMessage({ msg: 'ready on port 3000 in 900 ms', context: LIFECYCLE }, plain)).toBe('*ready on port 3000 in 900 ms*');
  });
});

describe('QuietNestLogger', () => {
  function recorder() {
    const calls: [string, unknown[]][] = [];
    const inner = Object.fromEntries(
      ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'].map((m) => [m, (...args: unknown[]) => calls.push([m, args])]),
    ) as unknown as LoggerService;
    return { calls, logger: new QuietNestLogger(inner) };
  }

  it("moves Nest's module and route lines to debug and passes everything else as it is", () => {
    const { calls, logger } = recorder();
    logger.log('Mapped {/api/v1/users, GET} route', 'RouterExplorer');
    logger.log('AuditController {/api/v1/audit}:', 'RoutesResolver');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Starting Nest application...', 'NestFactory');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log('applied 5 migration(s); 5 in all', 'Database');
    logger.warn('no administrator exists', 'AuthService');
    logger.error('boom', 'Errors');
    expect(calls.map(([m]) => m)).toEqual(['debug', 'debug', 'debug', 'debug', 'debug', 'log', 'warn', 'error']);
    expect(calls[0]).toEqual(['debug', ['Mapped {/api/v1/users, GET} route', 'RouterExplorer']]);
    expect(calls[5]).toEqual(['log', ['applied 5 migration(s); 5 in all', 'Database']]);
  });
});
