// npm run witness -- --data-dir /var/lib/oie-witness --name audit-office.example/w1 --port 3100 \
//   --log "<log verifier key from GET /api/v1/audit/verifier-key>"
// Runs a c2sp.org/tlog-witness witness as its own process with its own storage. Every flag has an
// environment variable: WITNESS_DATA_DIR, WITNESS_NAME, WITNESS_PORT, WITNESS_HOST, WITNESS_LOGS
// (entries separated by ";" or newlines, each "[<origin>] <verifier key>").
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseLogEntry, Witness } from './witness';

const complain = (text: string) => process.stderr.write(`${text}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      log: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run witness -- --data-dir DIR --name NAME [--port 3100] [--host 127.0.0.1] --log "[ORIGIN] VERIFIER_KEY" ...\n');
    return;
  }
  const env = process.env;
  const entries = [...(values.log ?? []), ...(env.WITNESS_LOGS ?? '').split(/[;\n]/)].map((e) => e.trim()).filter(Boolean);
  const portText = values.port ?? env.WITNESS_PORT ?? '3100';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw new Error('the port must be 0-65535');
  if (entries.length === 0) throw new Error('no log to witness: give --log "[<origin>] <verifier key>" or WITNESS_LOGS');
  const logger = pino({ base: { service: 'oie-witness' }, level: env.LOG_LEVEL ?? 'info' });
  const witness = new Witness({
    dataDir: resolve(values['data-dir'] ?? env.WITNESS_DATA_DIR ?? '.witness'),
    name: values.name ?? env.WITNESS_NAME ?? `${hostname()}/witness`,
    logs: entries.map(parseLogEntry),
    log: (level, msg, fields) => logger[level](fields ?? {}, msg),
  });
  const host = values.host ?? env.WITNESS_HOST ?? '127.0.0.1';
  const { port } = await witness.listen(Number(portText), host);
  logger.info({ port, verifierKey: witness.verifierKey() }, 'witness listening');
  process.stdout.write(`witness verifier key: ${witness.verifierKey()}\nwitness listening on http://${host}:${port}\n`);
  const stop = () => {
    logger.info('stopping');
    void witness.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  complain(`witness could not start: ${(err as Error).message}`);
  process.exit(2);
});
