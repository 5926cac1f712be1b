// The DataSource the TypeORM CLI uses (npm run migration:generate|run|revert). It needs DATABASE_URL;
// the service itself starts an embedded server when DATABASE_URL is unset.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source';

const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/oie) to use the migration CLI.');
  process.exit(1);
}
export default new DataSource(dataSourceOptions(url));
