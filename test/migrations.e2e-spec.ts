import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUnderLock } from '../src/database/data-source';

/**
 * Two instances starting together on an empty database: both migrate under the advisory lock, one
 * runs every migration, the other finds nothing left, and neither waits on the other for ever, also
 * through the migration that builds indexes CONCURRENTLY (it waits for every older snapshot, so a
 * waiter blocked inside `pg_advisory_lock` would hold it up for good).
 */
describe('migrations from two instances at once', () => {
  const adminUrl = process.env.OIE_TEST_ADMIN_URL!;
  const name = `oie_m_${randomBytes(6).toString('hex')}`;
  const sources: DataSource[] = [];

  beforeAll(async () => {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
  });

  afterAll(async () => {
    for (const ds of sources) if (ds.isInitialized) await ds.destroy();
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  });

  it('runs every migration once, both instances finish', async () => {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    for (let i = 0; i < 2; i++) sources.push(await new DataSource(dataSourceOptions(url.toString(), { poolSize: 4 })).initialize());
    const ran = await Promise.race([
      Promise.all(sources.map((ds) => migrateUnderLock(ds, 50))),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('migrations from two instances did not finish in 45 s')), 45_000)),
    ]);
    const total = sources[0]!.migrations.length;
    expect(ran.sort((a, b) => a - b)).toEqual([0, total]);
    const applied = await sources[0]!.query(`SELECT count(*)::int AS n FROM schema_migrations`);
    expect(applied[0].n).toBe(total);
  }, 60_000);
});
