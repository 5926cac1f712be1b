import { activateSafeguards, buildWorld, idemKey, recordBody, requestBody, World } from './support/exchange-fixtures';
import { API, bearer, createTestApp, TestApp } from './support/test-app';

/** Fictional, distinctive personal values: none of them may reach a log line or an audit event. */
const SECRET = {
  fullName: '秘密 一郎',
  fullNameKana: 'ヒミツ イチロウ',
  birthDate: '1971-07-07',
  address: '大阪府大阪市中央区秘密町9-9-9',
  note: '秘密の支援メモ 兄の連絡先は非公開',
  officerContact: '06-7777-0707 秘密担当',
};
const JUSTIFICATION = '秘密一郎氏の帰住先における住居確保の緊急調整のため（特記事項あり）';
/** Someone the municipality asks about who is not on record, and a line the import rejects. */
const ABSENT = { fullName: '幻影 花子', birthDate: '1969-09-09' };
const REJECTED = { fullName: '却下 次郎', fullNameKana: 'キャッカ ジロウ', birthDate: '1968-08-08', address: '大阪府大阪市西区却下町8-8-8' };

/** Every form a value might take on its way through: as entered, NFKC-normalised, without spaces, full-width space, half-width kana, compact date. */
const FORBIDDEN = [
  SECRET.fullName,
  '秘密一郎',
  '秘密　一郎',
  SECRET.fullNameKana,
  'ヒミツイチロウ',
  'ﾋﾐﾂ',
  SECRET.birthDate,
  '19710707',
  '1971/07/07',
  SECRET.address,
  '秘密町',
  SECRET.note,
  SECRET.officerContact,
  JUSTIFICATION,
  ABSENT.fullName,
  '幻影花子',
  ABSENT.birthDate,
  REJECTED.fullName,
  '却下次郎',
  REJECTED.fullNameKana,
  REJECTED.birthDate,
  REJECTED.address,
].flatMap((v) => [...new Set([v, v.normalize('NFKC')])]);

/** Every string inside a parsed JSON value (so \u-escaped text is checked too). */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...strings(x)]);
  return [];
}

function leaks(texts: string[], values: string[]): { value: string; text: string }[] {
  const out: { value: string; text: string }[] = [];
  for (const text of texts) for (const value of values) if (text.includes(value)) out.push({ value, text: text.slice(0, 300) });
  return out;
}

describe('privacy: no personal value or justification in logs or audit events', () => {
  let t: TestApp;
  let w: World;
  const responseIds: string[] = [];
  let failedRequestId = '';

  beforeAll(async () => {
    t = await createTestApp();
    // createApp() buffers Nest logger output (bufferLogs) until listen(), which supertest never calls;
    // flush now so error and warning lines reach t.logs and are checked too.
    t.app.flushLogs();
    w = await buildWorld(t);

    // 1. Safeguards for both municipalities.
    await activateSafeguards(t, w, w.cityToken);
    await activateSafeguards(t, w, w.otherCityToken);

    // 2. The facility imports the person (and a line that is rejected), then reads and lists its records.
    const secretRecord = recordBody({
      fullName: SECRET.fullName,
      fullNameKana: SECRET.fullNameKana,
      birthDate: SECRET.birthDate,
      plannedResidence: { address: SECRET.address, localGovernmentCode: '271004' },
      supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31', officerContact: SECRET.officerContact },
      supportNeeds: { needs: ['housing', 'medical'], note: SECRET.note },
    });
    const rejected = recordBody({ fullName: REJECTED.fullName, fullNameKana: REJECTED.fullNameKana, birthDate: REJECTED.birthDate, plannedResidence: { address: REJECTED.address, localGovernmentCode: '271005' } });
    const imported = await t.http
      .post(`${API}/release-records/import`)
      .set(bearer(w.facilityToken))
      .set('Content-Type', 'application/x-ndjson')
      .send([secretRecord, rejected].map((r) => JSON.stringify(r)).join('\n'))
      .expect(200);
    expect(imported.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(imported.body.lines[1].errors).toEqual([expect.objectContaining({ field: 'plannedResidence.localGovernmentCode' })]);
    const recordId = imported.body.lines[0].id as string;
    const read = await t.http.get(`${API}/release-records/${recordId}`).set(bearer(w.officer.token)).expect(200);
    expect(read.body.fullName).toBe(SECRET.fullName);
    await t.http.get(`${API}/release-records`).set(bearer(w.officer.token)).expect(200);
    // An update carrying the same values through PATCH.
    await t.http.patch(`${API}/release-records/${recordId}`).set(bearer(w.officer.token)).send({ fullNameKana: SECRET.fullNameKana }).expect(200);

    // 3. The city asks by name (full-width space) and birth date, and replays the same key.
    const key = idemKey();
    const body = requestBody({ fullName: '秘密　一郎', birthDate: SECRET.birthDate }, { categories: ['identity', 'residence', 'supervision', 'support_needs'], justification: JUSTIFICATION });
    const created = await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', key).send(body).expect(201);
    await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', key).send(body).expect(201);
    const id = created.body.id as string;

    // 4. The holder looks at it and approves; the city retrieves until the limit.
    await t.http.get(`${API}/requests/${id}`).set(bearer(w.officer.token)).expect(200);
    await t.http.get(`${API}/requests?status=pending`).set(bearer(w.officer.token)).expect(200);
    await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.officer.token)).send({ decision: 'approve', maxRetrievals: 1, reason: '同意書を確認' }).expect(200);
    const got = await t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(200);
    expect(got.body.data.identity).toEqual({ fullName: SECRET.fullName, fullNameKana: SECRET.fullNameKana, birthDate: SECRET.birthDate, sex: 'male' });
    expect(got.body.data.residence.address).toBe(SECRET.address);
    expect(got.body.data.supportNeeds.note).toBe(SECRET.note);
    // The detector finds these values where they do belong (the disclosure itself).
    expect(leaks(strings(got.body), FORBIDDEN).map((l) => l.value)).toEqual(expect.arrayContaining([SECRET.fullName, SECRET.birthDate, SECRET.address, SECRET.note]));
    await t.http.get(`${API}/release-records/${recordId}/disclosures`).set(bearer(w.officer.token)).expect(200);
    responseIds.push(created.headers['x-request-id'], got.headers['x-request-id']);

    // 5. A few refusals, each carrying personal values in the request.
    const refusals = [
      // past the retrieval limit
      await t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.cityToken)).expect(403),
      // another municipality: the request and its disclosure
      await t.http.get(`${API}/requests/${id}`).set(bearer(w.otherCityToken)).expect(404),
      await t.http.get(`${API}/requests/${id}/disclosure`).set(bearer(w.otherCityToken)).expect(404),
      // the same person asked by a municipality outside the jurisdiction, and someone not on record
      await t.http.post(`${API}/requests`).set(bearer(w.otherCityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: SECRET.fullName, birthDate: SECRET.birthDate }, { justification: JUSTIFICATION })).expect(422),
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody(ABSENT, { justification: JUSTIFICATION })).expect(422),
      // a category the purpose does not allow
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: SECRET.fullName, birthDate: SECRET.birthDate }, { categories: ['offense'], justification: JUSTIFICATION })).expect(422),
      // the same key with another body; no key; an unknown field; a malformed date
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', key).send({ ...body, justification: `${JUSTIFICATION}（改）` }).expect(409),
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).send(body).expect(400),
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send({ ...body, address: SECRET.address }).expect(400),
      await t.http.post(`${API}/requests`).set(bearer(w.cityToken)).set('Idempotency-Key', idemKey()).send(requestBody({ fullName: SECRET.fullName, birthDate: '1971-07-7' }, { justification: JUSTIFICATION })).expect(400),
      // the requester trying to decide; a record body with a bad code
      await t.http.post(`${API}/requests/${id}/decisions`).set(bearer(w.cityToken)).send({ decision: 'approve', reason: SECRET.fullName }).expect(403),
      await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(rejected).expect(422),
    ];
    // An unexpected database error whose message carries the name (a trigger stands in for any such failure).
    await t.db.query(`
      CREATE FUNCTION test_fail_with_name() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.external_ref LIKE 'BOOM-%' THEN RAISE EXCEPTION 'cannot store % born %', NEW.full_name, NEW.birth_date; END IF;
        RETURN NEW;
      END $$`);
    await t.db.query('CREATE TRIGGER test_fail_with_name BEFORE INSERT ON release_records FOR EACH ROW EXECUTE FUNCTION test_fail_with_name()');
    try {
      const failed = await t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send({ ...secretRecord, externalRef: `BOOM-${Date.now()}` }).expect(500);
      refusals.push(failed);
      failedRequestId = failed.headers['x-request-id'];
    } finally {
      await t.db.query('DROP TRIGGER IF EXISTS test_fail_with_name ON release_records');
      await t.db.query('DROP FUNCTION IF EXISTS test_fail_with_name()');
    }
    for (const r of refusals) {
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      // The answers themselves name nobody.
      expect(leaks(strings(r.body), FORBIDDEN)).toEqual([]);
      responseIds.push(r.headers['x-request-id']);
    }
    // Let the log stream deliver everything written so far.
    await new Promise((resolve) => setTimeout(resolve, 200));
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes only valid JSON log lines, each request completion carrying its request id', () => {
    expect(t.logs.length).toBeGreaterThan(20);
    const parsed = t.logs.map((line) => {
      let value: unknown;
      expect(() => (value = JSON.parse(line))).not.toThrow();
      expect(value).toEqual(expect.any(Object));
      return value as Record<string, unknown>;
    });
    const completions = parsed.filter((l) => l.res !== undefined && l.req !== undefined);
    expect(completions.length).toBeGreaterThan(20);
    for (const c of completions) {
      expect(c.requestId).toEqual(expect.any(String));
      expect((c.req as { id?: string }).id).toBe(c.requestId);
    }
    const logged = new Set(completions.map((c) => c.requestId));
    for (const id of responseIds) expect(logged).toContain(id);
    // The unexpected error was logged (so its line is among those checked below), tied to its request.
    expect(parsed.filter((l) => l.level === 50 && l.msg === 'unhandled error' && (l.reqId ?? l.requestId) === failedRequestId)).toHaveLength(1);
  });

  it('never writes a personal value or the justification in a log line', () => {
    expect(leaks(t.logs, FORBIDDEN)).toEqual([]);
    expect(leaks(t.logs.flatMap((l) => strings(JSON.parse(l))), FORBIDDEN)).toEqual([]);
  });

  it('never writes an Authorization header value (a bearer token) in a log line', () => {
    const tokens = [w.admin, w.cityToken, w.otherCityToken, w.prefectureToken, w.facilityToken, w.reviewer.token, w.officer.token, w.supervisor.token, w.supervisor2.token, w.probationOfficer.token];
    const values = [...tokens, ...tokens.map((tk) => tk.split('.')[2]!)];
    expect(leaks(t.logs, values).map((l) => l.text)).toEqual([]);
    expect(t.logs.filter((l) => /Bearer\s+ey/i.test(l))).toEqual([]);
  });

  it('never writes a personal value or the justification in any column of any audit event', async () => {
    const { rows } = await t.db.query<{ row: string }>('SELECT to_jsonb(a)::text AS row FROM audit_events a ORDER BY id');
    expect(rows.length).toBeGreaterThan(20);
    // The events are about the person (by record id), just never by name.
    const aboutPerson = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'disclosure.retrieve' AND outcome = 'success' AND record_id IS NOT NULL`);
    expect(aboutPerson.rows[0].n).toBe(1);
    const texts = rows.map((r) => r.row);
    expect(leaks(texts, FORBIDDEN)).toEqual([]);
    expect(leaks(texts.flatMap((x) => strings(JSON.parse(x))), FORBIDDEN)).toEqual([]);
  });
});
