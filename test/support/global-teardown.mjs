import { rmSync } from 'node:fs';
import pg from 'pg';

export default async function globalTeardown() {
  const state = globalThis.__OIE_TEST_STATE__;
  const adminUrl = process.env.OIE_TEST_ADMIN_URL;
  if (state && adminUrl && !state.embeddedDir) {
    // On a shared server, leave nothing behind: per-file databases drop themselves; drop the template.
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS "${state.template}" WITH (FORCE)`);
    await client.end();
  }
  const server = globalThis.__OIE_EMBEDDED_PG__;
  if (server) await server.stop();
  if (state?.embeddedDir) rmSync(state.embeddedDir, { recursive: true, force: true });
}
