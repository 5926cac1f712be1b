// Migrates one database (the e2e template) with the service's own migrations.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions, migrateUnderLock } from '../../src/database/data-source';

async function run(url: string): Promise<void> {
  const ds = await new DataSource(dataSourceOptions(url)).initialize();
  try {
    await migrateUnderLock(ds);
  } finally {
    await ds.destroy();
  }
}

run(process.argv[2] ?? '').catch((err: unknown) => {
  console.error('migration failed:', (err as Error).message);
  process.exit(1);
});
