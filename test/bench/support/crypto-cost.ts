// The cost the sealing adds to one disclosure, in the service process: unwrap the record's data key
// (AES-256-GCM under the KEK) and open the sealed columns of the bench's approved categories
// (identity, release, residence, support needs: 10 of the 13), then parse them as the disclosure does.
// Run alone: node -r ts-node/register/transpile-only test/bench/support/crypto-cost.ts
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LocalKeyring } from '../../../src/crypto/keyring';
import { RowCipher } from '../../../src/crypto/record-cipher';
import { disclosingCategories, fromOpened, RECORD_TABLE, toSealable } from '../../../src/crypto/record-fields';
import type { RecordPersonal, SealedColumn } from '../../../src/crypto/record-fields';

export interface CryptoCost {
  iterations: number;
  /** The sealed columns a disclosure of the bench's categories opens. */
  columns: number;
  /** Unwrap + open those columns + parse, per disclosure (microseconds). */
  openMicros: { p50: number; p99: number; mean: number };
  /** Sealing one record on write: fresh data key, wrap, 13 values (microseconds, mean). */
  sealMicrosMean: number;
  /** HMAC blind index of name + birth date, per request by name (microseconds, mean). */
  blindIndexMicrosMean: number;
}

const SAMPLE: RecordPersonal = {
  fullName: '法務 太郎',
  fullNameKana: 'ホウム タロウ',
  birthDate: '1980-04-01',
  sex: 'male',
  releaseDate: '2026-12-15',
  releaseType: 'parole',
  facilityName: '大阪刑務所',
  admissionDate: '2024-06-01',
  residenceAddress: '大阪府大阪市北区架空町1-2-3',
  supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31', officerContact: '06-6000-0001' },
  supportNeeds: { needs: ['housing', 'employment'], note: '就労支援を希望' },
  offense: { category: 'theft', sentenceType: '拘禁刑', sentenceTerm: '2年6月', sentenceEndDate: '2027-03-31' },
  consents: [],
};

export async function measureCryptoCost(iterations = 20_000): Promise<CryptoCost> {
  const cipher = new RowCipher<SealedColumn>(new LocalKeyring(new Map([['bench', randomBytes(32)]]), 'bench'), randomBytes(32), RECORD_TABLE);
  const id = randomUUID();
  const { key, sealed: all } = await cipher.seal(id, toSealable(SAMPLE));
  // What the disclosure's statement hands over for the bench's approved categories.
  const benchCategories = ['identity', 'release', 'residence', 'support_needs'];
  const sealed = Object.fromEntries(
    Object.entries(disclosingCategories())
      .filter(([, by]) => by.some((c) => benchCategories.includes(c)))
      .map(([column]) => [column, all[column as SealedColumn]]),
  ) as Record<SealedColumn, Buffer | null>;
  for (let i = 0; i < 1000; i++) fromOpened(await cipher.open(id, key, sealed)); // warm up
  const samples = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fromOpened(await cipher.open(id, key, sealed));
    samples[i] = (performance.now() - t) * 1000;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  let t = performance.now();
  for (let i = 0; i < 5000; i++) await cipher.seal(id, toSealable(SAMPLE));
  const sealMicrosMean = ((performance.now() - t) * 1000) / 5000;
  t = performance.now();
  for (let i = 0; i < 20000; i++) cipher.blindIndex('name+birth', '法務太郎', '1980-04-01');
  const blindIndexMicrosMean = ((performance.now() - t) * 1000) / 20000;
  return {
    iterations,
    columns: Object.keys(sealed).length,
    openMicros: { p50: r(sorted[Math.floor(iterations * 0.5)]!), p99: r(sorted[Math.floor(iterations * 0.99)]!), mean: r(samples.reduce((a, b) => a + b, 0) / iterations) },
    sealMicrosMean: r(sealMicrosMean),
    blindIndexMicrosMean: r(blindIndexMicrosMean),
  };
}

if (require.main === module) {
  measureCryptoCost().then(
    (c) => process.stdout.write(`${JSON.stringify(c)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
}
