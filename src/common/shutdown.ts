import type { Server, ServerResponse } from 'node:http';
import { Server as NetServer, Socket } from 'node:net';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { problemType } from './problem';

/**
 * Keeps count of the requests in flight and, once stopping, refuses new ones cleanly: every
 * request that arrives after `stop()` (on a new connection or a kept-alive one) is answered 503
 * with `Connection: close` and `Retry-After`, and every answer still to come closes its connection.
 * The listener stays open meanwhile, so a client that connects during the drain gets that answer
 * rather than a reset; `closeListener()` closes it after the drain.
 */
export class HttpDrain {
  private stopping = false;
  private readonly open = new Set<ServerResponse>();
  private drained?: Promise<void>;
  private whenIdle?: () => void;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private lastAccepted = 0;
  /** Requests answered 503 because they arrived while stopping. */
  refused = 0;

  /** Requests taken before `stop()` and not answered yet. */
  get inFlight(): number {
    return this.open.size;
  }

  /** Mounted first (after the request id), so it sees every request before anything else runs. */
  readonly middleware = (req: Request & { id?: string }, res: Response, next: NextFunction): void => {
    if (this.stopping) {
      this.refuse(req, res);
      return;
    }
    this.open.add(res);
    res.once('close', () => {
      this.open.delete(res);
      if (this.stopping && this.open.size === 0) this.whenIdle?.();
    });
    next();
  };

  /** Stops taking requests; settles once every request in flight has been answered (or its client left). */
  stop(): Promise<void> {
    this.stopping = true;
    for (const res of this.open) if (!res.headersSent) res.setHeader('Connection', 'close');
    this.drained ??= new Promise<void>((resolve) => {
      if (this.open.size === 0) resolve();
      else this.whenIdle = resolve;
    });
    return this.drained;
  }

  /** Follows the server's connections (call it before the server listens). */
  track(server: Server): void {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.lastAccepted = performance.now();
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Connections open now (tracked ones). */
  get connections(): number {
    return this.sockets.size;
  }

  /**
   * The end of a stop, once `stop()` has settled. Node's own `server.close()` would close the
   * listener at once, resetting the connections the kernel has queued but Node not yet accepted,
   * and drop every idle connection, including one whose request has arrived but not been read yet:
   * their clients would see resets. Instead this keeps accepting until no connection has come for
   * `quietMs` (at most `lingerMs`), so what is queued is taken and answered 503; then stops
   * listening and gives the open connections up to `lingerMs` to deliver what they may be sending
   * (answered 503 with `Connection: close`, which ends them) or to close; then closes the rest.
   */
  async closeListener(lingerMs = 500, quietMs = 50): Promise<void> {
    const server = this.server;
    if (!server) return;
    const tick = () => new Promise((r) => setTimeout(r, 10));
    const began = performance.now();
    while (
      performance.now() - Math.max(began, this.lastAccepted) < quietMs &&
      performance.now() - began < lingerMs
    )
      await tick();
    // Stops listening but keeps the connections (http's close() would drop the idle ones).
    if (server.listening) NetServer.prototype.close.call(server);
    const deadline = performance.now() + lingerMs;
    while (this.sockets.size > 0 && performance.now() < deadline) await tick();
    await Promise.all(
      [...this.sockets].map(
        (socket) =>
          new Promise((closed) => {
            socket.once('close', closed);
            socket.destroy();
          }),
      ),
    );
  }

  private refuse(req: Request & { id?: string }, res: Response): void {
    this.refused++;
    const answer = () => {
      if (res.headersSent) return;
      res.statusCode = 503;
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '5');
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('Content-Type', 'application/problem+json');
      res.end(
        JSON.stringify({
          type: problemType('shutting-down'),
          title: 'Service Unavailable',
          status: 503,
          detail: 'This instance is stopping. Retry shortly.',
          instance: (req.originalUrl ?? req.url ?? '').split('?')[0],
          requestId: req.id,
        }),
      );
    };
    // A body still on its way is read (and dropped) first: answering and closing the connection in
    // the middle of an upload would make the client see a reset instead of the answer.
    if (req.readableEnded) {
      answer();
      return;
    }
    req.once('end', answer);
    req.once('error', () => undefined);
    req.resume();
  }
}

/** A signal that arrives this long after the first one forces the exit. */
export const FORCE_EXIT_AFTER_MS = 10_000;

export interface StopOnSignalsOptions {
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Requests still in flight, for the log lines. */
  inFlight: () => number;
  exit: (code: number) => void;
  /** Called just before a forced exit (e.g. to tell the embedded PostgreSQL to stop). */
  onForce?: () => void;
  /** Extra fields for the `stopped on …` line. */
  summary?: () => Record<string, unknown>;
  forceAfterMs?: number;
  now?: () => number;
}

/**
 * SIGTERM and SIGINT, for the whole life of the process. The first one stops the service in order
 * (once it has started, if it comes during start-up) and exits 0; later ones are logged and
 * ignored, so a supervisor or npm repeating the signal never cuts the drain short, until one comes
 * `forceAfterMs` or more after the first: that one exits at once with status 1.
 */
export class StopOnSignals {
  private first?: { signal: NodeJS.Signals; at: number };
  private stopFn?: () => Promise<void>;
  private running = false;
  private readonly forceAfterMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: StopOnSignalsOptions) {
    this.forceAfterMs = opts.forceAfterMs ?? FORCE_EXIT_AFTER_MS;
    this.now = opts.now ?? (() => performance.now());
  }

  install(target: Pick<NodeJS.Process, 'on'> = process): void {
    target.on('SIGTERM', this.handle);
    target.on('SIGINT', this.handle);
  }

  /** The service is up: `stop` stops it in order. A signal that came during start-up is acted on now. */
  ready(stop: () => Promise<void>): void {
    this.stopFn = stop;
    if (this.first) this.run();
  }

  readonly handle = (signal: NodeJS.Signals): void => {
    const now = this.now();
    if (!this.first) {
      this.first = { signal, at: now };
      if (this.stopFn) this.run();
      else this.opts.log.info(`${signal} during start-up: stopping once started`);
      return;
    }
    const elapsed = now - this.first.at;
    const inFlight = this.opts.inFlight();
    if (elapsed >= this.forceAfterMs) {
      this.opts.log.warn({ inFlight }, `forced exit on a repeated ${signal}, ${(elapsed / 1000).toFixed(1)} s after the first: ${inFlight} request(s) cut off`);
      this.opts.onForce?.();
      this.opts.exit(1);
      return;
    }
    this.opts.log.warn(
      { inFlight },
      `already stopping (${inFlight} request(s) in flight): ${signal} ignored; a signal ${this.forceAfterMs / 1000} s or more after the first forces the exit`,
    );
  };

  private run(): void {
    if (this.running || !this.first || !this.stopFn) return;
    this.running = true;
    const { signal } = this.first;
    const inFlight = this.opts.inFlight();
    this.opts.log.info({ inFlight }, `stopping on ${signal}: finishing ${inFlight} request(s) in flight, refusing new ones with 503`);
    this.stopFn().then(
      () => {
        this.opts.log.info(this.opts.summary?.() ?? {}, `stopped on ${signal}`);
        this.opts.exit(0);
      },
      (err: unknown) => {
        const e = err as { name?: string; code?: string };
        this.opts.log.error({ failure: { kind: e?.name, code: e?.code } }, `stop on ${signal} failed`);
        this.opts.exit(1);
      },
    );
  }
}
