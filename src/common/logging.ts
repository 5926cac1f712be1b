import type { LoggerService } from '@nestjs/common';
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type LogFormat = 'json' | 'pretty';

/** LOG_FORMAT when it is set; otherwise pretty for a person at a terminal, JSON for everything else. */
export function chooseLogFormat(setting: LogFormat | undefined, stdoutIsTerminal: boolean): LogFormat {
  return setting ?? (stdoutIsTerminal ? 'pretty' : 'json');
}

/** The context of the service's own start and stop lines (`ready on port …`, `stopped on SIGTERM`). */
export const LIFECYCLE = 'Lifecycle';

interface LogLine {
  msg?: string;
  context?: string;
  requestId?: string;
  req?: { method?: string; path?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

type Colors = { bold(s: string): string; dim(s: string): string };

/** One line a person can read: the request line of pino-http, or `[context] message`. */
export function prettyMessage(log: LogLine, colors: Colors): string {
  const id = log.requestId ? colors.dim(` (request ${log.requestId})`) : '';
  if (log.req && log.res) {
    return `${log.req.method ?? ''} ${log.req.path ?? ''} → ${log.res.statusCode ?? ''} in ${log.responseTime ?? '?'} ms${id}`;
  }
  const msg = log.msg ?? '';
  if (log.context === LIFECYCLE) return colors.bold(msg);
  return `${log.context ? colors.dim(`[${log.context}] `) : ''}${msg}${id}`;
}

/**
 * Standard output, written synchronously so nothing is lost when the process exits right after a
 * line: JSON lines, or each line turned readable by pino-pretty (loaded only then).
 */
export function logDestination(format: LogFormat): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: true });
  if (format === 'json') return stdout;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty');
  const prettify = prettyFactory({
    translateTime: 'SYS:HH:MM:ss.l',
    // Shown in the message already (the request line, `[context]`, the lifecycle lines' own words).
    ignore: 'pid,hostname,context,requestId,req,res,responseTime,port,embeddedDatabase,inFlight,refusedWhileStopping',
    messageFormat: (log, _key, _level, { colors }) => prettyMessage(log as LogLine, colors),
  });
  return { write: (line: string) => void stdout.write(prettify(line)) };
}

/**
 * The start and stop lines of the process itself. They are written whatever LOG_LEVEL says: an
 * operator always sees when the service is ready and when (and how) it stopped.
 */
export function lifecycleLogger(destination: DestinationStream): Logger {
  return pino({ level: 'info' }, destination).child({ context: LIFECYCLE });
}

/** Nest's own start-up chatter (modules loaded, one line per route): useful when debugging only. */
export const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Passes every line to the application logger, with Nest's start-up chatter moved down to debug. */
export class QuietNestLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && NEST_CHATTER.has(context)) this.inner.debug?.(message, ...rest);
    else this.inner.log(message, ...rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.inner.fatal?.(message, ...rest);
  }
}
