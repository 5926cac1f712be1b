import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { dataSourceOptions, migrateUnderLock } from './data-source';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('database URL missing: the embedded server was not started');
        return dataSourceOptions(config.databaseUrl, { poolSize: config.databasePoolSize });
      },
      dataSourceFactory: async (options) => {
        const ds = await new DataSource(options!).initialize();
        const ran = await migrateUnderLock(ds);
        const all = ds.migrations.length;
        new Logger('Database').log(ran > 0 ? `applied ${ran} migration(s); ${all} in all` : `schema up to date (${all} migrations applied)`);
        return ds;
      },
    }),
  ],
  exports: [TypeOrmModule],
})
export class DatabaseModule {}
