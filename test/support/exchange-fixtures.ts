import measures from '../../config/safeguard-measures.json';
import { clientToken, createClient, createOrg, createStaff } from './factories';
import { ADMIN, API, bearer, signIn, TestApp } from './test-app';

export function safeguardsBody(over: Record<string, unknown> = {}) {
  return {
    legalBasis: { kind: 'ordinance', title: '大阪府子どもを性犯罪から守る条例', article: '第17条', enactedOn: '2012-03-30', appiGround: 'statutory_duty' },
    responsibleDepartment: '福祉局 再犯防止推進課',
    contactPoint: { name: '再犯防止推進課 窓口', phone: '06-6000-0000', email: 'saihan@city.example.lg.jp' },
    privacyOfficer: '福祉局 総務課長',
    retention: { days: 365, disposalMethod: '裁断及び電子データの完全消去' },
    measures: Object.fromEntries(Object.entries(measures).map(([group, codes]) => [group, Object.keys(codes)])),
    purposes: ['reintegration_support', 'welfare_coordination', 'ordinance_program'],
    attestedBy: { name: '大阪 花子', title: '福祉局長' },
    attestedOn: '2026-04-01',
    ...over,
  };
}

let refSeq = 0;
export function recordBody(over: Record<string, unknown> = {}) {
  refSeq += 1;
  return {
    externalRef: `OSK-2026-${String(refSeq).padStart(6, '0')}-${Date.now().toString(36)}`,
    fullName: '法務 太郎',
    fullNameKana: 'ホウム タロウ',
    birthDate: '1980-04-01',
    sex: 'male',
    releaseDate: '2026-12-15',
    releaseType: 'parole',
    facilityName: '大阪刑務所',
    admissionDate: '2024-06-01',
    plannedResidence: { address: '大阪府大阪市北区架空町1-2-3', localGovernmentCode: '271004' },
    supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-03-31', officerContact: '06-6000-0001' },
    supportNeeds: { needs: ['housing', 'employment'], note: '就労支援を希望' },
    offense: { category: 'theft', sentenceType: '拘禁刑', sentenceTerm: '2年6月', sentenceEndDate: '2027-03-31' },
    ...over,
  };
}

export function requestBody(subject: Record<string, unknown>, over: Record<string, unknown> = {}) {
  return {
    subject,
    purpose: 'reintegration_support',
    categories: ['identity', 'release', 'residence', 'support_needs'],
    legalGround: { kind: 'consent', consent: { documentRef: '大阪市-同意書-2026-0042', signedOn: '2026-11-01', scope: '社会復帰支援のための情報' } },
    justification: '帰住予定地での住居確保及び就労支援の調整のため',
    ...over,
  };
}

export interface World {
  admin: string;
  prefecture: { id: string };
  city: { id: string };
  otherCity: { id: string };
  facility: { id: string };
  probation: { id: string };
  cityToken: string;
  otherCityToken: string;
  prefectureToken: string;
  facilityToken: string;
  reviewer: { id: string; token: string };
  officer: { id: string; token: string };
  supervisor: { id: string; token: string };
  supervisor2: { id: string; token: string };
  probationOfficer: { id: string; token: string };
}

/** Two prefectures' worth of organisations, their staff and clients, all created through the API. */
export async function buildWorld(t: TestApp): Promise<World> {
  const admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
  const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(admin))).body.items[0];
  const prefecture = await createOrg(t, admin, { kind: 'prefecture', name: '大阪府', localGovernmentCode: '270008' });
  const city = await createOrg(t, admin, { kind: 'municipality', name: '大阪市', localGovernmentCode: '271004', parentId: prefecture.id });
  const otherCity = await createOrg(t, admin, { kind: 'municipality', name: '福岡市', localGovernmentCode: '401307' });
  const facility = await createOrg(t, admin, { kind: 'correctional_facility', name: '大阪刑務所' });
  const probation = await createOrg(t, admin, { kind: 'probation_office', name: '大阪保護観察所' });
  const [cityToken, otherCityToken, prefectureToken, facilityToken] = await Promise.all([
    createClient(t, admin, city.id).then((c) => clientToken(t, c)),
    createClient(t, admin, otherCity.id).then((c) => clientToken(t, c)),
    createClient(t, admin, prefecture.id).then((c) => clientToken(t, c)),
    createClient(t, admin, facility.id).then((c) => clientToken(t, c)),
  ]);
  const reviewer = await createStaff(t, admin, ministry.id, ['safeguard_reviewer']);
  const officer = await createStaff(t, admin, facility.id, ['case_officer']);
  const supervisor = await createStaff(t, admin, facility.id, ['supervisor']);
  const supervisor2 = await createStaff(t, admin, facility.id, ['supervisor']);
  const probationOfficer = await createStaff(t, admin, probation.id, ['case_officer']);
  return { admin, prefecture, city, otherCity, facility, probation, cityToken, otherCityToken, prefectureToken, facilityToken, reviewer, officer, supervisor, supervisor2, probationOfficer };
}

export async function activateSafeguards(t: TestApp, w: World, token: string, over: Record<string, unknown> = {}): Promise<string> {
  const put = await t.http.put(`${API}/safeguards`).set(bearer(token)).send(safeguardsBody(over));
  if (put.status !== 201) throw new Error(`safeguards failed: ${put.status} ${JSON.stringify(put.body)}`);
  const ok = await t.http.post(`${API}/safeguards/${put.body.id}/verify`).set(bearer(w.reviewer.token)).send({});
  if (ok.status !== 200) throw new Error(`verify failed: ${ok.status} ${JSON.stringify(ok.body)}`);
  return put.body.id as string;
}

let keySeq = 0;
export const idemKey = () => `key-${Date.now().toString(36)}-${++keySeq}`;
