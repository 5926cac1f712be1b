import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { ConfigError, loadConfig } from '../config/configuration';
import { createApp } from './app.factory';
import { EmbeddedDatabase } from './database/embedded-postgres';

async function main(): Promise<void> {
  const started = performance.now();
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

  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = new EmbeddedDatabase(config.dataDir, config.embeddedPgPort);
    config = { ...config, databaseUrl: await embedded.start() };
    for (const dir of embedded.traversable) {
      process.stderr.write(JSON.stringify({ level: 40, time: Date.now(), msg: 'gave a folder traverse-only permission (o+x) so the embedded PostgreSQL can reach DATA_DIR', dir }) + '\n');
    }
  }

  // Instances started together on an empty database can meet in a deadlock while creating
  // schemas (e.g. pg-boss's); that is transient, so the start is tried again a few times.
  let app;
  for (let attempt = 1; ; attempt++) {
    try {
      app = await createApp(config);
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
  // Shut down in order on SIGTERM/SIGINT: stop taking requests, finish in-flight ones, close the
  // pool, then stop the embedded server.
  const shutdown = async (signal: string) => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    try {
      await app.close();
    } finally {
      await embedded?.stop();
      process.stderr.write(JSON.stringify({ level: 30, time: Date.now(), msg: `stopped on ${signal}` }) + '\n');
      process.exit(0);
    }
  };
  process.once('SIGTERM', (s) => void shutdown(s));
  process.once('SIGINT', (s) => void shutdown(s));

  await app.listen(config.port);
  // Slow clients cannot hold connections open: headers within 10 s, a whole request within 30 s.
  const server = app.getHttpServer() as import('node:http').Server;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  const ms = Math.round(performance.now() - started);
  process.stdout.write(
    JSON.stringify({ level: 30, time: Date.now(), msg: `ready on port ${config.port} in ${ms} ms`, embeddedDatabase: Boolean(embedded) }) + '\n',
  );
}

main().catch((err: unknown) => {
  const e = err as { name?: string; message?: string; code?: string };
  process.stderr.write(`Start failed: ${e?.name ?? 'Error'}${e?.code ? ` (${e.code})` : ''}: ${e?.message ?? String(err)}\n`);
  process.exit(1);
});
