/*
 * Realistic data, created through the HTTP API as integrators would (organisations, staff with TOTP,
 * clients, safeguards, NDJSON imports, requests, approvals), plus a bulk loader that inserts audit
 * events straight into audit_events with SQL (the service then seals them itself).
 */
import { authenticator } from 'otplib';
import type { Client as PgClient } from 'pg';
import measures from '../../../config/safeguard-measures.json';
import { Api } from './http';
import { BOOTSTRAP_ADMIN } from './service';
import { log, mapLimit, now, pick, rng } from './util';

// ---------------------------------------------------------------- local government codes

export const PREFECTURES = [
  '北海道',
  '青森県',
  '岩手県',
  '宮城県',
  '秋田県',
  '山形県',
  '福島県',
  '茨城県',
  '栃木県',
  '群馬県',
  '埼玉県',
  '千葉県',
  '東京都',
  '神奈川県',
  '新潟県',
  '富山県',
  '石川県',
  '福井県',
  '山梨県',
  '長野県',
  '岐阜県',
  '静岡県',
  '愛知県',
  '三重県',
  '滋賀県',
  '京都府',
  '大阪府',
  '兵庫県',
  '奈良県',
  '和歌山県',
  '鳥取県',
  '島根県',
  '岡山県',
  '広島県',
  '山口県',
  '徳島県',
  '香川県',
  '愛媛県',
  '高知県',
  '福岡県',
  '佐賀県',
  '長崎県',
  '熊本県',
  '大分県',
  '宮崎県',
  '鹿児島県',
  '沖縄県',
];

/** 全国地方公共団体コード check digit: Σ(d × 6,5,4,3,2) mod 11, then the last digit of 11 − remainder. */
export function checkDigit(firstFive: string): number {
  const weights = [6, 5, 4, 3, 2];
  const sum = weights.reduce((acc, w, i) => acc + Number(firstFive[i]) * w, 0);
  return (11 - (sum % 11)) % 10;
}

export function lgCode(prefecture: number, municipal: number): string {
  const five = `${String(prefecture).padStart(2, '0')}${String(municipal).padStart(3, '0')}`;
  return five + String(checkDigit(five));
}

export interface MuniSpec {
  code: string;
  name: string;
  prefecture: number;
}

/**
 * `count` municipalities spread over the 47 prefectures (cities 2xx, towns and villages 3xx–7xx),
 * interleaved so that any prefix of the list spans many prefectures.
 */
export function municipalityCatalogue(count: number): MuniSpec[] {
  const perPref = PREFECTURES.map((_, i) => Math.floor(count / 47) + (i < count % 47 ? 1 : 0));
  const lists = perPref.map((n, i) => {
    const p = i + 1;
    const stem = PREFECTURES[i]!.replace(/[都道府県]$/, '');
    const cities = Math.ceil(n * 0.45);
    return Array.from({ length: n }, (_, k) => {
      const municipal = k < cities ? 201 + k : 301 + (k - cities) * 3;
      const kind = k < cities ? '市' : k % 3 === 0 ? '村' : '町';
      return { code: lgCode(p, municipal), name: `${stem}架空${kind}${municipal}`, prefecture: p };
    });
  });
  const out: MuniSpec[] = [];
  for (let round = 0; out.length < count; round++) for (const l of lists) if (l[round]) out.push(l[round]);
  return out;
}

// ---------------------------------------------------------------- staff, clients, tokens

export interface Staff {
  id: string;
  username: string;
  password: string;
  token: string;
  totpSecret: string;
}

export interface ClientCreds {
  clientId: string;
  clientSecret: string;
}

/** Signs in a user who has not enrolled TOTP yet: login → enroll → verify; answers the full token. */
export async function signInEnrolling(
  api: Api,
  username: string,
  password: string,
): Promise<{ token: string; totpSecret: string }> {
  const login = await api.expect(200, 'POST', '/api/v1/auth/login', { json: { username, password } });
  if (!login.mfaEnrollmentRequired) throw new Error(`${username}: expected an MFA enrolment token`);
  const pending = login.access_token as string;
  const enroll = await api.expect(200, 'POST', '/api/v1/auth/mfa/enroll', { token: pending });
  const totpSecret = new URL(enroll.otpauthUri as string).searchParams.get('secret')!;
  const verified = await api.expect(200, 'POST', '/api/v1/auth/mfa/verify', {
    token: pending,
    json: { code: authenticator.generate(totpSecret) },
  });
  return { token: verified.access_token as string, totpSecret };
}

export async function adminToken(api: Api): Promise<string> {
  return (await signInEnrolling(api, BOOTSTRAP_ADMIN.username, BOOTSTRAP_ADMIN.password)).token;
}

let staffSeq = 0;
export async function createStaff(
  api: Api,
  admin: string,
  organizationId: string,
  roles: string[],
  label: string,
): Promise<Staff> {
  const username = `${label}.${++staffSeq}`;
  const password = `pw-${username}-long-enough`;
  const user = await api.expect(201, 'POST', '/api/v1/users', {
    token: admin,
    json: { username, displayName: `${label} ${staffSeq}`, organizationId, roles, password },
  });
  const { token, totpSecret } = await signInEnrolling(api, username, password);
  return { id: user.id as string, username, password, token, totpSecret };
}

export async function createOrg(
  api: Api,
  admin: string,
  body: Record<string, unknown>,
): Promise<{ id: string }> {
  return api.expect(201, 'POST', '/api/v1/organizations', { token: admin, json: body });
}

export async function createClient(
  api: Api,
  admin: string,
  orgId: string,
  name: string,
): Promise<ClientCreds> {
  const c = await api.expect(201, 'POST', `/api/v1/organizations/${orgId}/clients`, {
    token: admin,
    json: { name },
  });
  return { clientId: c.clientId as string, clientSecret: c.clientSecret as string };
}

export async function clientToken(api: Api, c: ClientCreds): Promise<string> {
  const res = await api.expect(200, 'POST', '/api/v1/auth/token', {
    form: { grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret },
  });
  return res.access_token as string;
}

export function safeguardsBody(name: string) {
  return {
    legalBasis: {
      kind: 'ordinance',
      title: `${name}再犯防止推進条例`,
      article: '第12条',
      enactedOn: '2021-03-26',
      appiGround: 'statutory_duty',
    },
    responsibleDepartment: '福祉部 地域福祉課 再犯防止推進係',
    contactPoint: { name: '再犯防止推進係 窓口', phone: '03-0000-0000', email: 'saihan@city.example.lg.jp' },
    privacyOfficer: '福祉部長',
    overallManager: '副市長',
    retention: { days: 365, disposalMethod: '紙媒体は溶解処理、電子データは復元不能な方法で消去' },
    fileRegisterEntry: '社会復帰支援対象者ファイル',
    measures: Object.fromEntries(
      Object.entries(measures).map(([group, codes]) => [group, Object.keys(codes)]),
    ),
    purposes: ['reintegration_support', 'welfare_coordination', 'ordinance_program'],
    attestedBy: { name: '架空 花子', title: '福祉部長' },
    attestedOn: '2026-04-01',
  };
}

export async function activateSafeguards(
  api: Api,
  muniToken: string,
  reviewerToken: string,
  name: string,
): Promise<void> {
  const put = await api.expect(201, 'PUT', '/api/v1/safeguards', {
    token: muniToken,
    json: safeguardsBody(name),
  });
  await api.expect(200, 'POST', `/api/v1/safeguards/${put.id}/verify`, { token: reviewerToken, json: {} });
}

// ---------------------------------------------------------------- release records

const FAMILY: [string, string][] = [
  ['佐藤', 'サトウ'],
  ['鈴木', 'スズキ'],
  ['高橋', 'タカハシ'],
  ['田中', 'タナカ'],
  ['伊藤', 'イトウ'],
  ['渡辺', 'ワタナベ'],
  ['山本', 'ヤマモト'],
  ['中村', 'ナカムラ'],
  ['小林', 'コバヤシ'],
  ['加藤', 'カトウ'],
  ['吉田', 'ヨシダ'],
  ['山田', 'ヤマダ'],
  ['佐々木', 'ササキ'],
  ['山口', 'ヤマグチ'],
  ['松本', 'マツモト'],
  ['井上', 'イノウエ'],
  ['木村', 'キムラ'],
  ['林', 'ハヤシ'],
  ['斎藤', 'サイトウ'],
  ['清水', 'シミズ'],
  ['山崎', 'ヤマザキ'],
  ['森', 'モリ'],
  ['池田', 'イケダ'],
  ['橋本', 'ハシモト'],
];
const GIVEN: [string, string, 'male' | 'female'][] = [
  ['太郎', 'タロウ', 'male'],
  ['次郎', 'ジロウ', 'male'],
  ['一郎', 'イチロウ', 'male'],
  ['健太', 'ケンタ', 'male'],
  ['翔太', 'ショウタ', 'male'],
  ['大輔', 'ダイスケ', 'male'],
  ['誠', 'マコト', 'male'],
  ['直樹', 'ナオキ', 'male'],
  ['拓也', 'タクヤ', 'male'],
  ['修', 'オサム', 'male'],
  ['花子', 'ハナコ', 'female'],
  ['美咲', 'ミサキ', 'female'],
  ['裕子', 'ユウコ', 'female'],
  ['陽子', 'ヨウコ', 'female'],
  ['恵', 'メグミ', 'female'],
  ['明美', 'アケミ', 'female'],
];
const RELEASE_TYPES = [
  'sentence_completed',
  'parole',
  'parole',
  'parole',
  'juvenile_parole',
  'probation_suspended_sentence',
  'juvenile_probation',
];
const NEEDS = [
  'housing',
  'employment',
  'elderly_welfare',
  'disability_welfare',
  'medical',
  'addiction_treatment',
  'other',
];
const OFFENSES = ['theft', 'fraud', 'drug_offense', 'assault', 'traffic', 'robbery'];

const iso = (d: Date) => d.toISOString().slice(0, 10);
const day = 86_400_000;

export interface RecordSpec {
  body: Record<string, unknown>;
  code: string;
  fullName: string;
  birthDate: string;
}

export function releaseRecord(
  r: () => number,
  seq: number,
  holderPrefix: string,
  holderName: string,
  residence: MuniSpec,
): RecordSpec {
  const [fam, famKana] = pick(r, FAMILY);
  const [giv, givKana, sex] = pick(r, GIVEN);
  const birth = new Date(Date.UTC(1950, 0, 1) + Math.floor(r() * 55 * 365) * day);
  const release = new Date(Date.UTC(2026, 0, 1) + Math.floor(r() * 540) * day);
  const admission = new Date(release.getTime() - (180 + Math.floor(r() * 2000)) * day);
  const releaseType = pick(r, RELEASE_TYPES);
  const supervised = releaseType !== 'sentence_completed';
  const needs = NEEDS.filter(() => r() < 0.3);
  const fullName = `${fam} ${giv}`;
  const body: Record<string, unknown> = {
    externalRef: `${holderPrefix}-2026-${String(seq).padStart(7, '0')}`,
    fullName,
    fullNameKana: `${famKana} ${givKana}`,
    birthDate: iso(birth),
    sex,
    releaseDate: iso(release),
    releaseType,
    facilityName: holderName,
    admissionDate: iso(admission),
    plannedResidence: {
      address: `${PREFECTURES[residence.prefecture - 1]}${residence.name}架空町${1 + Math.floor(r() * 9)}-${1 + Math.floor(r() * 30)}-${1 + Math.floor(r() * 20)}`,
      localGovernmentCode: residence.code,
    },
  };
  if (supervised)
    body.supervision = {
      probationOfficeName: `${PREFECTURES[residence.prefecture - 1]}保護観察所`,
      supervisionEndDate: iso(new Date(release.getTime() + 365 * day)),
      officerContact: '保護観察官 調整担当 03-0000-0001',
    };
  if (needs.length) body.supportNeeds = { needs, note: '帰住先の調整を希望' };
  if (r() < 0.5)
    body.offense = {
      category: pick(r, OFFENSES),
      sentenceType: '拘禁刑',
      sentenceTerm: `${1 + Math.floor(r() * 5)}年`,
      sentenceEndDate: iso(new Date(release.getTime() + 200 * day)),
    };
  if (r() < 0.3)
    body.consents = [
      {
        purposes: ['reintegration_support'],
        categories: ['identity', 'release', 'residence', 'support_needs'],
        signedOn: iso(new Date(release.getTime() - 60 * day)),
      },
    ];
  return { body, code: residence.code, fullName, birthDate: iso(birth) };
}

export interface SeededRecord {
  id: string;
  recordRef: string;
  code: string;
  fullName: string;
  birthDate: string;
  holder: number;
}

/** NDJSON import in calls of `perCall` lines; answers the stored records in input order. */
export async function importRecords(
  api: Api,
  token: string,
  holder: number,
  specs: RecordSpec[],
  perCall: number,
): Promise<SeededRecord[]> {
  const out: SeededRecord[] = [];
  for (let i = 0; i < specs.length; i += perCall) {
    const chunk = specs.slice(i, i + perCall);
    const res = await api.expect(200, 'POST', '/api/v1/release-records/import', {
      token,
      text: chunk.map((s) => JSON.stringify(s.body)).join('\n'),
      contentType: 'application/x-ndjson',
      timeoutMs: 600_000,
    });
    if (res.rejected > 0)
      throw new Error(
        `import rejected ${res.rejected} lines: ${JSON.stringify(res.lines.find((l: { status: string }) => l.status === 'rejected'))}`,
      );
    (res.lines as { line: number; id: string; recordRef: string }[]).forEach((l) => {
      const s = chunk[l.line - 1]!;
      out.push({
        id: l.id,
        recordRef: l.recordRef,
        code: s.code,
        fullName: s.fullName,
        birthDate: s.birthDate,
        holder,
      });
    });
  }
  return out;
}

// ---------------------------------------------------------------- requests and decisions

export function requestBody(record: SeededRecord, byName: boolean) {
  return {
    subject: byName
      ? { fullName: record.fullName, birthDate: record.birthDate }
      : { recordRef: record.recordRef },
    purpose: 'reintegration_support',
    categories: ['identity', 'release', 'residence', 'support_needs'],
    legalGround: {
      kind: 'consent',
      consent: {
        documentRef: '同意書-2026-0042',
        signedOn: '2026-10-01',
        scope: '社会復帰支援のための釈放予定日・帰住予定地・支援ニーズの提供',
      },
    },
    justification: '帰住予定地での住居確保と就労支援を釈放前に調整するため',
  };
}

let keySeq = 0;
export const idempotencyKey = (prefix = 'seed') =>
  `${prefix}-${process.pid}-${Date.now().toString(36)}-${++keySeq}`;

export async function createRequest(
  api: Api,
  token: string,
  record: SeededRecord,
  byName = false,
): Promise<string> {
  const res = await api.expect(201, 'POST', '/api/v1/requests', {
    token,
    json: requestBody(record, byName),
    headers: { 'idempotency-key': idempotencyKey() },
  });
  return res.id as string;
}

export async function approve(
  api: Api,
  officerToken: string,
  requestId: string,
  maxRetrievals = 5,
): Promise<void> {
  const accessUntil = new Date(Date.now() + 29 * day).toISOString();
  await api.expect(200, 'POST', `/api/v1/requests/${requestId}/decisions`, {
    token: officerToken,
    json: { decision: 'approve', accessUntil, maxRetrievals, reason: '本人同意書の範囲内で承認' },
  });
}

// ---------------------------------------------------------------- a whole exchange

export interface Muni extends MuniSpec {
  id: string;
  client?: ClientCreds;
  token?: string;
}

export interface Holder {
  id: string;
  name: string;
  prefix: string;
  client: ClientCreds;
  token: string;
  officer: Staff;
}

export interface Target {
  requestId: string;
  recordId: string;
  orgId: string;
  token: string;
}

export interface World {
  admin: string;
  reviewer: Staff;
  auditor: Staff;
  ministryId: string;
  prefectures: Map<number, string>;
  munis: Muni[];
  active: Muni[];
  holders: Holder[];
  otherAgencies: number;
  records: SeededRecord[];
  approved: Target[];
  timings: Record<string, number>;
}

export interface WorldOptions {
  municipalities: number;
  activeMunicipalities: number;
  /** Agencies that hold records (each gets an API client and a case officer). */
  holders: number;
  /** Further facilities and probation offices without records. */
  otherAgencies: number;
  records: number;
  /** Share of records whose planned residence is an active municipality. */
  activeShare: number;
  approvedRequests: number;
  importPerCall: number;
  concurrency: number;
  seed?: number;
  quiet?: boolean;
}

export async function seedWorld(api: Api, o: WorldOptions): Promise<World> {
  const r = rng(o.seed ?? 109);
  const timings: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = now();
    const v = await fn();
    timings[name] = now() - t;
    if (!o.quiet) log(`  seed: ${name} in ${Math.round(timings[name])} ms`);
    return v;
  };

  const admin = await step('admin sign-in', () => adminToken(api));
  const ministry = (await api.expect(200, 'GET', '/api/v1/organizations?kind=ministry', { token: admin }))
    .items[0].id as string;
  const [reviewer, auditor] = await step('reviewer and auditor', () =>
    Promise.all([
      createStaff(api, admin, ministry, ['safeguard_reviewer'], 'reviewer'),
      createStaff(api, admin, ministry, ['auditor'], 'auditor'),
    ]),
  );

  const specs = municipalityCatalogue(o.municipalities);
  const prefNos = [...new Set(specs.map((s) => s.prefecture))].sort((a, b) => a - b);
  const prefectures = new Map<number, string>();
  const munis: Muni[] = await step(
    `${prefNos.length} prefectures and ${specs.length} municipalities`,
    async () => {
      await mapLimit(prefNos, o.concurrency, async (p) => {
        const org = await createOrg(api, admin, {
          kind: 'prefecture',
          name: PREFECTURES[p - 1]!,
          localGovernmentCode: lgCode(p, 0),
        });
        prefectures.set(p, org.id);
      });
      return mapLimit(specs, o.concurrency, async (s) => {
        const org = await createOrg(api, admin, {
          kind: 'municipality',
          name: s.name,
          localGovernmentCode: s.code,
          parentId: prefectures.get(s.prefecture),
        });
        return { ...s, id: org.id };
      });
    },
  );

  // Active municipalities: spread over the catalogue; each has a client, a token and verified safeguards.
  const stride = Math.max(1, Math.floor(munis.length / o.activeMunicipalities));
  const active = Array.from({ length: o.activeMunicipalities }, (_, i) => munis[i * stride]!);
  await step(`${active.length} municipal clients with verified safeguards`, () =>
    mapLimit(active, o.concurrency, async (m) => {
      m.client = await createClient(api, admin, m.id, `${m.name} 再犯防止支援システム`);
      m.token = await clientToken(api, m.client);
      await activateSafeguards(api, m.token, reviewer.token, m.name);
    }),
  );

  const holders: Holder[] = await step(`${o.holders} holder agencies with clients and case officers`, () =>
    mapLimit(
      Array.from({ length: o.holders }, (_, i) => i),
      Math.min(4, o.concurrency),
      async (i) => {
        const probation = i % 4 === 3;
        const name = probation ? `架空第${i + 1}保護観察所` : `架空第${i + 1}刑務所`;
        const org = await createOrg(api, admin, {
          kind: probation ? 'probation_office' : 'correctional_facility',
          name,
        });
        const client = await createClient(api, admin, org.id, `${name} 情報連携`);
        const token = await clientToken(api, client);
        const officer = await createStaff(api, admin, org.id, ['case_officer'], `officer${i + 1}`);
        return { id: org.id, name, prefix: `F${String(i + 1).padStart(3, '0')}`, client, token, officer };
      },
    ),
  );
  await step(`${o.otherAgencies} further facilities and probation offices`, () =>
    mapLimit(
      Array.from({ length: o.otherAgencies }, (_, i) => i),
      o.concurrency,
      (i) =>
        createOrg(
          api,
          admin,
          i % 2
            ? { kind: 'probation_office', name: `架空保護観察所${i + 1}` }
            : { kind: 'correctional_facility', name: `架空少年院${i + 1}` },
        ),
    ),
  );

  // Records: part in the active municipalities (they will ask about them), the rest anywhere.
  const perHolder: RecordSpec[][] = holders.map(() => []);
  for (let i = 0; i < o.records; i++) {
    const h = i % holders.length;
    const residence = r() < o.activeShare ? pick(r, active) : pick(r, munis);
    perHolder[h]!.push(
      releaseRecord(r, perHolder[h]!.length + 1, holders[h]!.prefix, holders[h]!.name, residence),
    );
  }
  const records = await step(
    `${o.records} release records by NDJSON import (${o.importPerCall} lines per call)`,
    async () => {
      const parts = await mapLimit(holders, 2, (h, i) =>
        importRecords(api, h.token, i, perHolder[i]!, o.importPerCall),
      );
      return parts.flat();
    },
  );

  // Approved requests: each active municipality asks about records in its own jurisdiction.
  const byCode = new Map<string, SeededRecord[]>();
  for (const rec of records) (byCode.get(rec.code) ?? byCode.set(rec.code, []).get(rec.code)!).push(rec);
  const wanted: { muni: Muni; record: SeededRecord }[] = [];
  for (let i = 0; wanted.length < o.approvedRequests && i < o.approvedRequests * 4; i++) {
    const m = active[i % active.length]!;
    const pool = byCode.get(m.code) ?? [];
    const rec = pool[Math.floor(i / active.length) % Math.max(1, pool.length)];
    if (rec) wanted.push({ muni: m, record: rec });
  }
  // Half ask by name and birth date, but only about people nobody else shares them with: a namesake
  // could be matched instead, and the request would then go to another holder.
  const namesakes = new Map<string, number>();
  for (const rec of records)
    namesakes.set(
      `${rec.fullName}|${rec.birthDate}`,
      (namesakes.get(`${rec.fullName}|${rec.birthDate}`) ?? 0) + 1,
    );
  const approved = await step(`${wanted.length} requests created and approved (maxRetrievals 5)`, () =>
    mapLimit(wanted, o.concurrency, async ({ muni, record }, i) => {
      const byName = i % 2 === 1 && namesakes.get(`${record.fullName}|${record.birthDate}`) === 1;
      const requestId = await createRequest(api, muni.token!, record, byName);
      await approve(api, holders[record.holder]!.officer.token, requestId, 5);
      return { requestId, recordId: record.id, orgId: muni.id, token: muni.token! };
    }),
  );
  return {
    admin,
    reviewer,
    auditor,
    ministryId: ministry,
    prefectures,
    munis,
    active,
    holders,
    otherAgencies: o.otherAgencies,
    records,
    approved,
    timings,
  };
}

// ---------------------------------------------------------------- bulk audit events

/**
 * Inserts `count` audit events with realistic columns (actors, organisations, records and requests
 * that exist, a year of timestamps, source addresses, details), `chunk` rows per statement. Only
 * INSERTs: leaf_index and leaf_hash stay NULL, so the service's sealer hashes and seals them.
 */
export async function insertAuditEvents(
  db: PgClient,
  count: number,
  chunk = 250_000,
  onChunk?: (done: number) => void,
): Promise<void> {
  const sql = `
    WITH o AS (SELECT array_agg(id ORDER BY id) a FROM organizations WHERE kind IN ('municipality','prefecture')),
         c AS (SELECT array_agg(client_id ORDER BY client_id) a, array_agg(organization_id ORDER BY client_id) o FROM api_clients),
         u AS (SELECT array_agg(id::text ORDER BY id) a, array_agg(organization_id ORDER BY id) o FROM users),
         r AS (SELECT array_agg(id) a FROM (SELECT id FROM release_records ORDER BY id LIMIT 50000) x),
         q AS (SELECT array_agg(id::text) a, array_agg(record_id) rec, array_agg(requester_org_id) org
                 FROM (SELECT id, record_id, requester_org_id FROM info_requests ORDER BY id LIMIT 50000) x)
    INSERT INTO audit_events (occurred_at, actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id,
                              outcome, reason_code, request_id, source_ip, details)
    SELECT now() - make_interval(secs => ($3::int - g.i) * (31536000.0 / $3::int)) + make_interval(secs => (g.i % 7) * 0.001),
           CASE WHEN k < 60 THEN 'client' WHEN k < 85 THEN 'user' WHEN k < 90 THEN 'anonymous' ELSE 'user' END,
           CASE WHEN k < 60 THEN c.a[1 + g.i % cardinality(c.a)] WHEN k < 85 OR k >= 90 THEN u.a[1 + g.i % cardinality(u.a)] END,
           CASE WHEN k < 60 THEN c.o[1 + g.i % cardinality(c.a)] WHEN k < 85 OR k >= 90 THEN u.o[1 + g.i % cardinality(u.a)] END,
           CASE WHEN k < 30 THEN 'auth.token' WHEN k < 45 THEN 'disclosure.retrieve' WHEN k < 60 THEN 'request.create'
                WHEN k < 70 THEN 'record.read' WHEN k < 75 THEN 'record.create' WHEN k < 80 THEN 'request.decide'
                WHEN k < 85 THEN 'auth.login' WHEN k < 90 THEN 'access.denied' WHEN k < 96 THEN 'record.list' ELSE 'audit.search' END,
           CASE WHEN k < 30 THEN 'client' WHEN k < 60 THEN 'request' WHEN k < 75 THEN 'release_record' WHEN k < 80 THEN 'request'
                WHEN k < 85 THEN 'user' WHEN k < 90 THEN 'route' WHEN k < 96 THEN 'release_record' ELSE 'audit_event' END,
           CASE WHEN k < 30 THEN c.a[1 + g.i % cardinality(c.a)] WHEN k < 60 THEN q.a[1 + g.i % cardinality(q.a)]
                WHEN k < 75 THEN r.a[1 + g.i % cardinality(r.a)]::text WHEN k < 80 THEN q.a[1 + g.i % cardinality(q.a)]
                WHEN k < 85 THEN u.a[1 + g.i % cardinality(u.a)] WHEN k < 90 THEN 'GET /api/v1/requests/:id/disclosure' END,
           CASE WHEN k >= 30 AND k < 60 THEN q.rec[1 + g.i % cardinality(q.a)] WHEN k >= 60 AND k < 75 THEN r.a[1 + g.i % cardinality(r.a)]
                WHEN k >= 75 AND k < 80 THEN q.rec[1 + g.i % cardinality(q.a)] END,
           CASE WHEN k >= 85 AND k < 90 THEN 'denied' WHEN k < 30 AND g.i % 50 = 0 THEN 'denied' ELSE 'success' END,
           CASE WHEN k >= 85 AND k < 90 THEN 'invalid-token' WHEN k < 30 AND g.i % 50 = 0 THEN 'invalid-client' END,
           md5(g.i::text || ':req')::uuid::text,
           '10.' || (20 + g.i % 40) || '.' || ((g.i / 40) % 250) || '.' || (1 + g.i % 250),
           CASE WHEN k >= 30 AND k < 45 THEN jsonb_build_object('categories', jsonb_build_array('identity','release','residence','support_needs'),
                                                              'dataDigest', encode(sha256(g.i::text::bytea), 'base64'), 'retrieval', 1 + g.i % 5)
                WHEN k >= 45 AND k < 60 THEN jsonb_build_object('purpose', 'reintegration_support', 'legalGround', 'consent',
                                                              'categories', jsonb_build_array('identity','release','residence','support_needs'))
                WHEN k >= 75 AND k < 80 THEN jsonb_build_object('decision', 'approve', 'stage', 1, 'maxRetrievals', 1 + g.i % 5)
                WHEN k >= 85 AND k < 90 THEN jsonb_build_object('status', 401)
                WHEN k >= 96 THEN jsonb_build_object('filters', jsonb_build_object('action', 'disclosure.retrieve'), 'count', 100) END
      FROM (SELECT i, (i * 37) % 100 AS k FROM generate_series($1::int, $2::int) AS s(i)) g, o, c, u, r, q`;
  for (let from = 1; from <= count; from += chunk) {
    const to = Math.min(count, from + chunk - 1);
    await db.query(sql, [from, to, count]);
    onChunk?.(to);
  }
}
