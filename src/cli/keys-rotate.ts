// npm run keys:rotate [-- --new] [--batch 500]
// Re-wraps every release record's data key under the active key-encryption key while the service
// runs. With DATA_KEYRING: put the new key in the keyring and make it DATA_KEYRING_ACTIVE on every
// instance first, then run this with the same environment. With the files under DATA_DIR/keys/kek:
// `--new` adds a new key there and makes it active (running instances pick it up when they meet it).
// Needs DATABASE_URL. Prints counts only.
import 'reflect-metadata';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import { ConfigError, loadConfig } from '../../config/configuration';
import { AUDIT_INSERT_COLUMNS } from '../audit/audit.service';
import { addKekToDir, loadRecordKeys } from '../crypto/keyring';
import { RowCipher } from '../crypto/record-cipher';
import { RECORD_TABLE } from '../crypto/record-fields';
import type { SealedColumn } from '../crypto/record-fields';
import { rewrapRecordKeys } from '../crypto/rotate';

const say = (text: string) => process.stdout.write(`${text}\n`);

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { new: { type: 'boolean', default: false }, batch: { type: 'string', default: '500' } } });
  const config = loadConfig();
  if (!config.databaseUrl) {
    process.stderr.write('DATABASE_URL is required (the database the service uses)\n');
    return 2;
  }
  if (values.new) {
    if (config.dataKeyring) {
      process.stderr.write('--new adds a key to the files under DATA_DIR/keys/kek; with DATA_KEYRING, add it to DATA_KEYRING instead\n');
      return 2;
    }
    say(`new active key-encryption key: ${addKekToDir(join(config.dataDir, 'keys', 'kek'))}`);
  }
  const { keyring, blindIndexKey } = loadRecordKeys(config);
  const cipher = new RowCipher<SealedColumn>(keyring, blindIndexKey, RECORD_TABLE);
  const pool = new Pool({ connectionString: config.databaseUrl, max: 2, application_name: 'oie-keys-rotate' });
  try {
    const report = await rewrapRecordKeys((sql, params) => pool.query(sql, params), cipher, { batchSize: Number(values.batch) || 500 });
    await pool.query(`INSERT INTO audit_events (${AUDIT_INSERT_COLUMNS}) VALUES ('system', NULL, NULL, 'keys.rotate', 'keyring', $1, NULL, 'success', NULL, NULL, NULL, $2)`, [
      report.activeKekId,
      JSON.stringify({ rewrapped: report.rewrapped, skipped: report.skipped, remaining: report.remaining }),
    ]);
    say(JSON.stringify(report));
    return report.remaining === 0 ? 0 : 1;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError ? err.message : `rotation failed: ${(err as Error).name}: ${(err as Error).message}`}\n`);
    process.exit(1);
  },
);
