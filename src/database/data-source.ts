import { DataSource, DataSourceOptions } from 'typeorm';
import { join } from 'node:path';
import { ENTITIES } from './entities';

export const MIGRATIONS_GLOB = join(__dirname, '..', '..', 'migrations', '*.{ts,js}');

export function dataSourceOptions(url: string, { poolSize = 20 }: { poolSize?: number } = {}): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000, application_name: 'oie' },
  } as DataSourceOptions;
}

/** An arbitrary but fixed key for the advisory lock that serialises migrations across instances. */
export const MIGRATION_LOCK_KEY = 7_109_001;

/** The advisory lock under which the first administrator is created, so two starting instances create one. */
export const BOOTSTRAP_LOCK_KEY = 7_109_003;

/**
 * Runs pending migrations while holding a PostgreSQL advisory lock, so two instances never race.
 * The lock is taken with pg_try_advisory_lock, polled, never waited for inside a statement: a
 * waiting `pg_advisory_lock` holds a snapshot, and a migration that builds an index CONCURRENTLY on
 * the holder's side waits for every older snapshot to end, so the two would wait for each other
 * forever (the holder's lock sits on an idle session, which PostgreSQL's deadlock check cannot see).
 */
export async function migrateUnderLock(ds: DataSource, pollMs = 250): Promise<number> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [MIGRATION_LOCK_KEY])) as [{ locked: boolean }];
      if (locked) break;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    try {
      const ran = await ds.runMigrations({ transaction: 'each' });
      return ran.length;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await runner.release();
  }
}
