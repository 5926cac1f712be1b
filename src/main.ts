import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { AppConfig, ConfigError, loadConfig } from '../config/configuration';
import { createApp } from './app.factory';
import { chooseLogFormat, lifecycleLogger, logDestination } from './common/logging';
import { HttpDrain, StopOnSignals } from './common/shutdown';
import { EmbeddedDatabase } from './database/embedded-postgres';

/** Where the data lives, for the ready line: never a user name or password. */
function describeDatabase(config: AppConfig, embedded: EmbeddedDatabase | undefined): string {
  if (embedded) return `embedded PostgreSQL in ${config.dataDir}/pg`;
  const url = new URL(config.databaseUrl!);
  const socket = url.searchParams.get('host');
  return `PostgreSQL at ${socket ?? `${url.hostname}:${url.port || 5432}`}${url.pathname}`;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) process.stderr.write(`${line}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const destination = logDestination(chooseLogFormat(config.logFormat, process.stdout.isTTY === true));
  const log = lifecycleLogger(destination);

  // SIGTERM/SIGINT from now on, for good: the first stops in order (once started, when it comes
  // during start-up); repeated ones are logged and ignored, until one comes 10 s after the first.
  const drain = new HttpDrain();
  let embedded: EmbeddedDatabase | undefined;
  const signals = new StopOnSignals({
    log,
    inFlight: () => drain.inFlight,
    summary: () => ({ refusedWhileStopping: drain.refused }),
    onForce: () => embedded?.stopNow(),
    exit: (code) => process.exit(code),
  });
  signals.install(process);

  if (!config.databaseUrl) {
    embedded = new EmbeddedDatabase(config.dataDir, config.embeddedPgPort);
    config = { ...config, databaseUrl: await embedded.start() };
    for (const dir of embedded.traversable) {
      log.warn({ dir }, 'gave a folder traverse-only permission (o+x) so the embedded PostgreSQL can reach DATA_DIR');
    }
  }

  // Instances started together on an empty database can meet in a deadlock while creating
  // schemas (e.g. pg-boss's); that is transient, so the start is tried again a few times.
  let app;
  for (let attempt = 1; ; attempt++) {
    try {
      app = await createApp(config, { logStream: destination, drain });
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt < 4 && (code === '40P01' || code === '40001' || code === '23505')) {
        await new Promise((r) => setTimeout(r, 250 * attempt + Math.floor(Math.random() * 250)));
        continue;
      }
      await embedded?.stop();
      throw err;
    }
  }

  const server = app.getHttpServer() as import('node:http').Server;
  // Slow clients cannot hold connections open: headers within 10 s, a whole request within 30 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  drain.track(server);
  await app.listen(config.port);
  // Since the process started, module loading included.
  const ms = Math.round(performance.now());
  log.info(
    { port: config.port, embeddedDatabase: Boolean(embedded) },
    `ready on port ${config.port} in ${ms} ms (${describeDatabase(config, embedded)})`,
  );

  // Stopping, in order: refuse new requests (503), finish those in flight, close the listener and
  // the connections, the pool and the rest, then stop the embedded server.
  const running = app;
  signals.ready(async () => {
    await drain.stop();
    await drain.closeListener();
    try {
      await running.close();
    } finally {
      await embedded?.stop();
    }
  });
}

main().catch((err: unknown) => {
  const e = err as { name?: string; message?: string; code?: string };
  process.stderr.write(`Start failed: ${e?.name ?? 'Error'}${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(err)}\n`);
  process.exit(1);
});
