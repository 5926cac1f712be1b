// The DataSource the TypeORM CLI uses (npm run migration:generate|run|revert). It needs DATABASE_URL;
// the service itself starts an embedded server when DATABASE_URL is unset.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

/** Command-line output (this is a tool run by a person, not the service's log). */
const complain = (text: string) => process.stderr.write(`${text}\n`);

const url = process.env.DATABASE_URL;
if (!url) {
  complain('Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/oie) to use the migration CLI.');
  process.exit(1);
}
// Each migration in its own transaction, as the service runs them at start: one that builds indexes
// CONCURRENTLY (transaction = false) runs outside any.
export default new DataSource({ ...dataSourceOptions(url), migrationsTransactionMode: 'each' });
