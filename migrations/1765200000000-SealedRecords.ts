import { MigrationInterface, QueryRunner } from 'typeorm';

const SEALED = [
  'full_name_enc',
  'full_name_kana_enc',
  'birth_date_enc',
  'sex_enc',
  'release_date_enc',
  'release_type_enc',
  'facility_name_enc',
  'admission_date_enc',
  'residence_address_enc',
  'supervision_enc',
  'support_needs_enc',
  'offense_enc',
  'consents_enc',
];
const CLEAR_TEXT = [
  'full_name',
  'full_name_kana',
  'name_key',
  'kana_key',
  'birth_date',
  'sex',
  'release_date',
  'release_type',
  'facility_name',
  'admission_date',
  'residence_address',
  'supervision',
  'support_needs',
  'offense',
  'consents',
];

/**
 * Release records sealed: every field about the person in a `*_enc` column (AES-256-GCM under the
 * row's data key), the data key wrapped by a KEK (`kek_id`, `dek_wrapped`), matching by blind index
 * (`name_bidx`, `kana_bidx`: HMAC of the normalised name with the birth date). In clear stay only
 * id, holder, external_ref (the holder's own key, for upserts), record_ref, residence_code (the
 * municipality: jurisdiction is checked inside the one matching query), retain_from (the later of
 * release date and supervision end: the retention sweep) and the timestamps.
 *
 * Migrations cannot reach the keys, so the old clear-text columns stay (nullable) for now: the
 * service seals every row that still has them at start and clears them (see RecordsBackfill); a
 * later migration drops them once every installation has started with this version. A CHECK keeps
 * any sealed row free of clear text, and an erased row free of everything but its identifiers.
 */
export class SealedRecords1765200000000 implements MigrationInterface {
  name = 'SealedRecords1765200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE release_records
      ADD COLUMN kek_id text,
      ADD COLUMN dek_wrapped bytea,
      ${SEALED.map((c) => `ADD COLUMN ${c} bytea`).join(',\n      ')},
      ADD COLUMN name_bidx bytea,
      ADD COLUMN kana_bidx bytea,
      ADD COLUMN retain_from date,
      ADD COLUMN erased_at timestamptz`);
    for (const c of ['full_name', 'name_key', 'birth_date', 'sex', 'release_date', 'release_type', 'residence_address', 'consents', 'external_ref', 'residence_code'])
      await q.query(`ALTER TABLE release_records ALTER COLUMN ${c} DROP NOT NULL`);
    await q.query(`ALTER TABLE release_records ALTER COLUMN consents DROP DEFAULT`);
    await q.query(`DROP INDEX release_records_name_idx`);
    await q.query(`DROP INDEX release_records_kana_idx`);
    await q.query(`CREATE INDEX release_records_name_bidx ON release_records (name_bidx) WHERE name_bidx IS NOT NULL`);
    await q.query(`CREATE INDEX release_records_kana_bidx ON release_records (kana_bidx) WHERE kana_bidx IS NOT NULL`);
    await q.query(`CREATE INDEX release_records_retention_idx ON release_records (retain_from) WHERE erased_at IS NULL`);
    await q.query(`CREATE INDEX release_records_kek_idx ON release_records (kek_id) WHERE dek_wrapped IS NOT NULL`);
    await q.query(`ALTER TABLE release_records ADD CONSTRAINT release_records_sealed_or_legacy
      CHECK (erased_at IS NOT NULL OR (dek_wrapped IS NOT NULL AND kek_id IS NOT NULL AND retain_from IS NOT NULL) OR full_name IS NOT NULL)`);
    await q.query(`ALTER TABLE release_records ADD CONSTRAINT release_records_no_clear_text
      CHECK (dek_wrapped IS NULL OR (${CLEAR_TEXT.map((c) => `${c} IS NULL`).join(' AND ')}))`);
    await q.query(`ALTER TABLE release_records ADD CONSTRAINT release_records_erased_empty
      CHECK (erased_at IS NULL OR (${[...CLEAR_TEXT, ...SEALED, 'kek_id', 'dek_wrapped', 'name_bidx', 'kana_bidx', 'retain_from', 'external_ref', 'residence_code']
        .map((c) => `${c} IS NULL`)
        .join(' AND ')}))`);
  }

  public async down(q: QueryRunner): Promise<void> {
    // Sealed rows cannot be turned back into clear text here (no keys): refuse rather than lose them.
    const [{ n }] = (await q.query(`SELECT count(*)::int AS n FROM release_records WHERE dek_wrapped IS NOT NULL OR erased_at IS NOT NULL`)) as { n: number }[];
    if (n > 0) throw new Error(`${n} release records are sealed or erased; reverting would lose them`);
    for (const c of ['release_records_erased_empty', 'release_records_no_clear_text', 'release_records_sealed_or_legacy'])
      await q.query(`ALTER TABLE release_records DROP CONSTRAINT ${c}`);
    for (const i of ['release_records_name_bidx', 'release_records_kana_bidx', 'release_records_retention_idx', 'release_records_kek_idx']) await q.query(`DROP INDEX ${i}`);
    await q.query(`CREATE INDEX release_records_name_idx ON release_records (name_key, birth_date)`);
    await q.query(`CREATE INDEX release_records_kana_idx ON release_records (kana_key, birth_date) WHERE kana_key IS NOT NULL`);
    await q.query(`ALTER TABLE release_records ALTER COLUMN consents SET DEFAULT '[]'::jsonb`);
    for (const c of ['full_name', 'name_key', 'birth_date', 'sex', 'release_date', 'release_type', 'residence_address', 'consents', 'external_ref', 'residence_code'])
      await q.query(`ALTER TABLE release_records ALTER COLUMN ${c} SET NOT NULL`);
    await q.query(`ALTER TABLE release_records ${[...SEALED, 'kek_id', 'dek_wrapped', 'name_bidx', 'kana_bidx', 'retain_from', 'erased_at'].map((c) => `DROP COLUMN ${c}`).join(', ')}`);
  }
}
