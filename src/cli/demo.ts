// npm run demo: seeds a demo ministry, prefecture, municipality, facility and probation office with
// staff, API clients and a few fictional records through the service's own API, then prints how to
// sign in. Every person here is fictional.
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { authenticator } from 'otplib';
import { ClsService } from 'nestjs-cls';
import { ConfigError, loadConfig } from '../../config/configuration';
import measures from '../../config/safeguard-measures.json';
import { createApp } from '../app.factory';
import { EmbeddedDatabase } from '../database/embedded-postgres';
import { UsersService } from '../users/users.service';
import { OrganizationsService } from '../organizations/organizations.service';

/** Command-line output (this is a tool run by a person, not the service's log). */
const say = (text: string) => process.stdout.write(`${text}\n`);
const complain = (text: string) => process.stderr.write(`${text}\n`);

const API = '/api/v1';
const PASSWORD = 'demo-password-2026';

async function main(): Promise<void> {
  let config = loadConfig({
    ...process.env,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    SCHEDULER_ENABLED: 'false',
  });
  let embedded: EmbeddedDatabase | undefined;
  if (!config.databaseUrl) {
    embedded = new EmbeddedDatabase(config.dataDir, config.embeddedPgPort);
    config = { ...config, databaseUrl: await embedded.start() };
  }
  const app = await createApp(config);
  try {
    await app.listen(0, '127.0.0.1');
    const base = await app.getUrl();
    const organizations = app.get(OrganizationsService);
    const cls = app.get(ClsService);
    if (await organizations.findByLocalGovernmentCode('271004')) {
      say(`The demo data is already there (see ${join(config.dataDir, 'demo-credentials.json')}).`);
      return;
    }
    const call = async (
      method: string,
      path: string,
      token: string | undefined,
      body?: unknown,
      type = 'application/json',
    ) => {
      const res = await fetch(base + path, {
        method,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': type } : {}),
          'Idempotency-Key': randomUUID(),
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const json = (await res.json().catch(() => ({}))) as Record<string, string>;
      if (res.status >= 300)
        throw new Error(`${method} ${path} answered ${res.status}: ${json.type ?? ''} ${json.detail ?? ''}`);
      return json;
    };
    const signIn = async (username: string) => {
      const login = await call('POST', `${API}/auth/login`, undefined, { username, password: PASSWORD });
      const enrol = await call('POST', `${API}/auth/mfa/enroll`, login.access_token);
      const secret = new URL(enrol.otpauthUri).searchParams.get('secret')!;
      const verified = await call('POST', `${API}/auth/mfa/verify`, login.access_token, {
        code: authenticator.generate(secret),
      });
      return { token: verified.access_token as string, otpauthUri: enrol.otpauthUri as string };
    };

    // A demo administrator at the ministry, created directly (the API needs an administrator first).
    const users = app.get(UsersService);
    const ministry =
      (await organizations.list({ kind: 'ministry', limit: 1 })).items[0] ??
      (await cls.run(() => organizations.create({ kind: 'ministry', name: '法務省' })));
    await cls.run(() =>
      users.create({
        username: 'demo.admin',
        displayName: 'デモ 管理者',
        organizationId: ministry.id,
        roles: ['admin'],
        password: PASSWORD,
      }),
    );
    const admin = await signIn('demo.admin');

    const org = (body: Record<string, unknown>) => call('POST', `${API}/organizations`, admin.token, body);
    const prefecture = await org({ kind: 'prefecture', name: '大阪府', localGovernmentCode: '270008' });
    const city = await org({
      kind: 'municipality',
      name: '大阪市',
      localGovernmentCode: '271004',
      parentId: prefecture.id,
    });
    const facility = await org({ kind: 'correctional_facility', name: '大阪刑務所 (デモ)' });
    const probation = await org({ kind: 'probation_office', name: '大阪保護観察所 (デモ)' });
    const staff = [
      {
        username: 'demo.reviewer',
        displayName: '審査 一郎',
        organizationId: ministry.id,
        roles: ['safeguard_reviewer'],
      },
      { username: 'demo.auditor', displayName: '監査 二郎', organizationId: ministry.id, roles: ['auditor'] },
      {
        username: 'demo.officer',
        displayName: '担当 三郎',
        organizationId: facility.id,
        roles: ['case_officer'],
      },
      {
        username: 'demo.supervisor',
        displayName: '上席 四郎',
        organizationId: facility.id,
        roles: ['supervisor'],
      },
      {
        username: 'demo.supervisor2',
        displayName: '上席 五郎',
        organizationId: facility.id,
        roles: ['supervisor'],
      },
      {
        username: 'demo.probation',
        displayName: '保護 六郎',
        organizationId: probation.id,
        roles: ['case_officer'],
      },
    ];
    for (const s of staff) await call('POST', `${API}/users`, admin.token, { ...s, password: PASSWORD });
    const cityClient = await call('POST', `${API}/organizations/${city.id}/clients`, admin.token, {
      name: '大阪市 福祉システム',
    });
    const prefClient = await call('POST', `${API}/organizations/${prefecture.id}/clients`, admin.token, {
      name: '大阪府 再犯防止システム',
    });
    const facilityClient = await call('POST', `${API}/organizations/${facility.id}/clients`, admin.token, {
      name: '大阪刑務所 連携システム',
    });
    const token = async (c: Record<string, string>) =>
      (
        await call('POST', `${API}/auth/token`, undefined, {
          grant_type: 'client_credentials',
          client_id: c.clientId,
          client_secret: c.clientSecret,
        })
      ).access_token as string;

    // Osaka City registers safeguards; the reviewer verifies them.
    const cityToken = await token(cityClient);
    const sg = await call('PUT', `${API}/safeguards`, cityToken, {
      legalBasis: {
        kind: 'ordinance',
        title: '大阪府子どもを性犯罪から守る条例',
        article: '第17条',
        enactedOn: '2012-03-30',
        appiGround: 'statutory_duty',
      },
      responsibleDepartment: '福祉局 生活福祉部 再犯防止推進課',
      contactPoint: {
        name: '再犯防止推進課 窓口',
        phone: '06-6000-0000',
        email: 'saihan@city.example.lg.jp',
      },
      privacyOfficer: '福祉局 総務課長',
      retention: { days: 365, disposalMethod: '裁断及び電子データの完全消去' },
      measures: Object.fromEntries(
        Object.entries(measures).map(([group, codes]) => [group, Object.keys(codes)]),
      ),
      purposes: ['reintegration_support', 'welfare_coordination', 'ordinance_program'],
      attestedBy: { name: '大阪 花子', title: '福祉局長' },
      attestedOn: new Date().toISOString().slice(0, 10),
    });
    const reviewer = await signIn('demo.reviewer');
    await call('POST', `${API}/safeguards/${sg.id}/verify`, reviewer.token, {});

    // The facility imports three fictional records.
    const facilityToken = await token(facilityClient);
    const people = [
      {
        externalRef: 'DEMO-0001',
        fullName: '法務 太郎',
        fullNameKana: 'ホウム タロウ',
        birthDate: '1980-04-01',
        sex: 'male',
        releaseDate: '2026-12-15',
        releaseType: 'parole',
        facilityName: '大阪刑務所',
        plannedResidence: { address: '大阪府大阪市北区架空町1-2-3', localGovernmentCode: '271004' },
        supervision: { probationOfficeName: '大阪保護観察所', supervisionEndDate: '2027-06-30' },
        supportNeeds: { needs: ['housing', 'employment'] },
        offense: {
          category: 'theft',
          sentenceType: '拘禁刑',
          sentenceTerm: '2年6月',
          sentenceEndDate: '2027-06-30',
        },
      },
      {
        externalRef: 'DEMO-0002',
        fullName: '更生 花子',
        fullNameKana: 'コウセイ ハナコ',
        birthDate: '1975-08-15',
        sex: 'female',
        releaseDate: '2027-01-10',
        releaseType: 'sentence_completed',
        facilityName: '大阪刑務所',
        plannedResidence: { address: '大阪府大阪市西区1-1-1', localGovernmentCode: '271004' },
        supportNeeds: { needs: ['elderly_welfare', 'medical'] },
      },
      {
        externalRef: 'DEMO-0003',
        fullName: '試験 次郎',
        fullNameKana: 'シケン ジロウ',
        birthDate: '1990-01-02',
        sex: 'male',
        releaseDate: '2027-02-01',
        releaseType: 'parole',
        facilityName: '大阪刑務所',
        plannedResidence: { address: '福岡県福岡市中央区1-1', localGovernmentCode: '401307' },
      },
    ];
    await call(
      'POST',
      `${API}/release-records/import`,
      facilityToken,
      people.map((p) => JSON.stringify(p)).join('\n'),
      'application/x-ndjson',
    );

    // One request waits in the facility's queue.
    await call('POST', `${API}/requests`, cityToken, {
      subject: { fullName: '法務 太郎', birthDate: '1980-04-01' },
      purpose: 'reintegration_support',
      categories: ['identity', 'release', 'residence', 'support_needs'],
      legalGround: {
        kind: 'consent',
        consent: {
          documentRef: '大阪市-同意書-DEMO-1',
          signedOn: new Date().toISOString().slice(0, 10),
          scope: '社会復帰支援のための出所情報及び帰住予定地',
        },
      },
      justification: '帰住予定地での住居確保及び就労支援の調整のため',
    });

    const credentials = {
      note: 'Demo data only. Staff sign in with the password below and enrol TOTP at first sign-in; the admin and reviewer are already enrolled (otpauth URIs below).',
      staffPassword: PASSWORD,
      admin: { username: 'demo.admin', otpauthUri: admin.otpauthUri },
      reviewer: { username: 'demo.reviewer', otpauthUri: reviewer.otpauthUri },
      staff: staff.map((s) => s.username).filter((u) => u !== 'demo.reviewer'),
      clients: {
        osakaCity: { clientId: cityClient.clientId, clientSecret: cityClient.clientSecret },
        osakaPrefecture: { clientId: prefClient.clientId, clientSecret: prefClient.clientSecret },
        osakaPrison: { clientId: facilityClient.clientId, clientSecret: facilityClient.clientSecret },
      },
    };
    const file = join(config.dataDir, 'demo-credentials.json');
    writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 });
    say(`
Demo data is ready (all people are fictional). Start the service with: npm start

Staff sign-in (POST /api/v1/auth/login), password for everyone: ${PASSWORD}
  demo.admin (admin, TOTP enrolled)        demo.reviewer (safeguard reviewer, TOTP enrolled)
  demo.auditor (auditor)                    demo.officer (case officer, 大阪刑務所)
  demo.supervisor / demo.supervisor2        demo.probation (case officer, 大阪保護観察所)
  Staff without TOTP enrol it at first sign-in (/api/v1/auth/mfa/enroll, then /verify).

API clients (POST /api/v1/auth/token, grant_type=client_credentials):
  大阪市      ${cityClient.clientId}  ${cityClient.clientSecret}
  大阪府      ${prefClient.clientId}  ${prefClient.clientSecret}
  大阪刑務所  ${facilityClient.clientId}  ${facilityClient.clientSecret}

The same, with the TOTP URIs of demo.admin and demo.reviewer, is in ${file} (mode 0600).
One request from 大阪市 waits in 大阪刑務所's queue; the README walks the rest of the flow.`);
  } finally {
    await app.close();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) for (const line of err.lines) complain(line);
  else complain(`demo failed: ${(err as Error).message}`);
  process.exit(1);
});
