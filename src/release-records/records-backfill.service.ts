import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { matchIndex, RECORD_CIPHER, retentionBasis, SEALED_COLUMNS, toSealable } from '../crypto/record-fields';
import type { RecordCipher, RecordPersonal, SealedColumn } from '../crypto/record-fields';
import { nameKey } from './names';

const BATCH = 200;

interface LegacyRow {
  id: string;
  full_name: string;
  full_name_kana: string | null;
  birth_date: string;
  sex: string;
  release_date: string;
  release_type: RecordPersonal['releaseType'];
  facility_name: string | null;
  admission_date: string | null;
  residence_address: string;
  supervision: RecordPersonal['supervision'];
  support_needs: RecordPersonal['supportNeeds'];
  offense: RecordPersonal['offense'];
  consents: RecordPersonal['consents'] | null;
}

/**
 * Seals release records written before sealing existed (the migration cannot reach the keys): at
 * start, every row that still holds clear text is sealed under a fresh data key and its clear-text
 * columns are nulled in the same statement, a batch per transaction (SKIP LOCKED, so several
 * instances starting together share the work). Only counts are logged.
 */
@Injectable()
export class RecordsBackfill implements OnApplicationBootstrap {
  private readonly logger = new Logger(RecordsBackfill.name);

  constructor(
    private readonly ds: DataSource,
    @Inject(RECORD_CIPHER) private readonly cipher: RecordCipher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const sealed = await this.run();
    if (sealed > 0) this.logger.log({ sealed }, 'sealed release records that were stored in clear text');
  }

  async run(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.ds.transaction(async (m) => {
        const rows = (await m.query(
          `SELECT id, full_name, full_name_kana, birth_date::text AS birth_date, sex, release_date::text AS release_date, release_type, facility_name,
                  admission_date::text AS admission_date, residence_address, supervision, support_needs, offense, consents
             FROM release_records WHERE dek_wrapped IS NULL AND erased_at IS NULL AND full_name IS NOT NULL
            LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        )) as LegacyRow[];
        for (const r of rows) {
          const p: RecordPersonal = {
            fullName: r.full_name,
            fullNameKana: r.full_name_kana,
            birthDate: r.birth_date,
            sex: r.sex,
            releaseDate: r.release_date,
            releaseType: r.release_type,
            facilityName: r.facility_name,
            admissionDate: r.admission_date,
            residenceAddress: r.residence_address,
            supervision: r.supervision,
            supportNeeds: r.support_needs,
            offense: r.offense,
            consents: r.consents ?? [],
          };
          const { key, sealed } = await this.cipher.seal(r.id, toSealable(p));
          const nameBidx = matchIndex(this.cipher, nameKey(p.fullName), p.birthDate);
          const kanaBidx = p.fullNameKana ? matchIndex(this.cipher, nameKey(p.fullNameKana), p.birthDate) : null;
          await m.query(
            `UPDATE release_records SET kek_id = $2, dek_wrapped = $3, name_bidx = $4, kana_bidx = $5, retain_from = $6,
                ${SEALED_COLUMNS.map((c: SealedColumn, i) => `${c} = $${i + 7}`).join(', ')},
                full_name = NULL, full_name_kana = NULL, name_key = NULL, kana_key = NULL, birth_date = NULL, sex = NULL, release_date = NULL,
                release_type = NULL, facility_name = NULL, admission_date = NULL, residence_address = NULL, supervision = NULL,
                support_needs = NULL, offense = NULL, consents = NULL
              WHERE id = $1`,
            [r.id, key.kekId, key.wrapped, nameBidx, kanaBidx, retentionBasis(p), ...SEALED_COLUMNS.map((c) => sealed[c])],
          );
        }
        return rows.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  }
}
