import type { Caller } from '../authz-table';
import { ConsoleSession, consoleSignIn } from './authz-console';
import {
  activateSafeguards,
  buildWorld,
  idemKey,
  recordBody,
  requestBody,
  safeguardsBody,
  World,
} from './exchange-fixtures';
import { clientToken, createClient, createOrg, createStaff } from './factories';
import { API, bearer, TestApp } from './test-app';

/**
 * The people and objects the authorisation matrix and the fuzzer call with, all made through the
 * API: facility F holds record R; city A made requests about R (routed to F); A, B and A's
 * prefecture have active safeguards; the rest are single-purpose objects a route may consume.
 */
export interface AuthzWorld {
  w: World;
  tokens: Record<Exclude<Caller, 'anonymous'>, string>;
  /** Console sessions of the staff callers (the same users as their API tokens). */
  consoleSessions: Partial<Record<Caller, ConsoleSession>>;
  ministryId: string;
  auditor: { id: string; token: string };
  record: { id: string; recordRef: string };
  /** Approved (5 retrievals): reads, decisions list, disclosure. */
  reqApproved: string;
  /** Pending: the decision route. */
  reqToDecide: string;
  /** Approved: the revoke route. */
  reqToRevoke: string;
  /** Pending: the withdraw route. */
  reqToWithdraw: string;
  /** Approved, retrieved once, then revoked: its erasure is due (the attestation route). */
  reqErasure: string;
  /** Pending and approved requests the console's decide and revoke forms consume. */
  reqConsoleDecide: string;
  reqConsoleRevoke: string;
  /** Submitted versions of A's safeguards (verify, reject) and D's active one (suspend). */
  sgToVerify: string;
  sgToReject: string;
  sgToSuspend: string;
  sgActiveA: string;
  /** A submitted version of A's safeguards the console's review form consumes. */
  sgConsoleReject: string;
  /** A fourth municipality whose safeguards the suspend route may consume. */
  cityD: { id: string };
  /** Clients that only the revoke-client routes (API and console) use. */
  sacrificialClientId: string;
  consoleSacrificialClientId: string;
  /** A client whose credentials the token route is called with. */
  tokenClient: { clientId: string; clientSecret: string };
  /** A staff user never signed in: the login route (enrolment pending) and the user-update route. */
  loginUser: { id: string; username: string; password: string };
  patchUser: { id: string };
  /** City A's webhook (not delivered: this app runs no delivery) and a finished delivery of it. */
  webhook: { id: string };
  webhookDelivery: string;
}

async function ok<T>(what: string, p: PromiseLike<{ status: number; body: T }>, status: number): Promise<T> {
  const res = await p;
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

let userSeq = 0;
export async function createUserOnly(
  t: TestApp,
  admin: string,
  organizationId: string,
  roles: string[],
): Promise<{ id: string; username: string; password: string }> {
  const username = `authz${++userSeq}_${Date.now().toString(36)}`;
  const password = `pw-${username}-long-enough`;
  const body = await ok<{ id: string }>(
    'create user',
    t.http
      .post(`${API}/users`)
      .set(bearer(admin))
      .send({ username, displayName: `利用者 ${userSeq}`, organizationId, roles, password }),
    201,
  );
  return { id: body.id, username, password };
}

export async function buildAuthzWorld(t: TestApp): Promise<AuthzWorld> {
  const w = await buildWorld(t);
  const ministryId = (
    await ok<{ items: { id: string }[] }>(
      'ministry',
      t.http.get(`${API}/organizations?kind=ministry`).set(bearer(w.admin)),
      200,
    )
  ).items[0]!.id;
  const auditor = await createStaff(t, w.admin, ministryId, ['auditor']);
  // The bootstrap administrator's TOTP secret is not kept by buildWorld; a second administrator
  // signs in to both the API and the console.
  const admin = await createStaff(t, w.admin, ministryId, ['admin']);

  const sgActiveA = await activateSafeguards(t, w, w.cityToken);
  await activateSafeguards(t, w, w.otherCityToken);
  await activateSafeguards(t, w, w.prefectureToken);

  const record = await ok<{ id: string; recordRef: string }>(
    'record',
    t.http.post(`${API}/release-records`).set(bearer(w.facilityToken)).send(recordBody()),
    201,
  );
  const newRequest = async () =>
    (
      await ok<{ id: string }>(
        'request',
        t.http
          .post(`${API}/requests`)
          .set(bearer(w.cityToken))
          .set('Idempotency-Key', idemKey())
          .send(requestBody({ recordRef: record.recordRef })),
        201,
      )
    ).id;
  const approve = (id: string) =>
    ok(
      'approve',
      t.http
        .post(`${API}/requests/${id}/decisions`)
        .set(bearer(w.officer.token))
        .send({ decision: 'approve', maxRetrievals: 5, reason: '同意書を確認' }),
      200,
    );
  const [reqApproved, reqToDecide, reqToRevoke, reqToWithdraw, reqConsoleDecide, reqConsoleRevoke] = [
    await newRequest(),
    await newRequest(),
    await newRequest(),
    await newRequest(),
    await newRequest(),
    await newRequest(),
  ];
  await approve(reqApproved);
  await approve(reqToRevoke);
  await approve(reqConsoleRevoke);
  const reqErasure = await newRequest();
  await approve(reqErasure);
  await ok('retrieve', t.http.get(`${API}/requests/${reqErasure}/disclosure`).set(bearer(w.cityToken)), 200);
  await ok('revoke', t.http.post(`${API}/requests/${reqErasure}/revoke`).set(bearer(w.officer.token)).send({ reason: '同意の撤回' }), 200);

  const submitted = async () =>
    (
      await ok<{ id: string }>(
        'safeguards',
        t.http.put(`${API}/safeguards`).set(bearer(w.cityToken)).send(safeguardsBody()),
        201,
      )
    ).id;
  const sgToVerify = await submitted();
  const sgToReject = await submitted();
  const sgConsoleReject = await submitted();
  const cityD = await createOrg(t, w.admin, {
    kind: 'municipality',
    name: '堺市',
    localGovernmentCode: '271403',
    parentId: w.prefecture.id,
  });
  const cityDToken = await clientToken(t, await createClient(t, w.admin, cityD.id));
  const sgToSuspend = await activateSafeguards(t, w, cityDToken);

  const sacrificialClientId = (await createClient(t, w.admin, cityD.id)).clientId;
  const consoleSacrificialClientId = (await createClient(t, w.admin, cityD.id)).clientId;
  const tokenClient = await createClient(t, w.admin, w.city.id);
  const loginUser = await createUserOnly(t, w.admin, w.facility.id, ['case_officer']);
  const patchUser = await createUserOnly(t, w.admin, w.facility.id, ['case_officer']);

  const webhook = await ok<{ id: string }>(
    'webhook',
    t.http.post(`${API}/webhooks`).set(bearer(w.cityToken)).send({ url: 'https://hooks.example.com/oie', events: ['request.decided'] }),
    201,
  );
  const webhookDelivery = (
    await ok<{ deliveryId: string }>('ping', t.http.post(`${API}/webhooks/${webhook.id}/ping`).set(bearer(w.cityToken)), 202)
  ).deliveryId;
  await t.db.query(`UPDATE webhook_deliveries SET status = 'failed', completed_at = now() WHERE id = $1`, [webhookDelivery]);

  // The audit routes need a sealed log with a signed checkpoint (the sealer runs every second).
  for (let i = 0; ; i++) {
    const r = await t.db.query<{ n: string | null }>(
      'SELECT max(tree_size)::text AS n FROM audit_checkpoints',
    );
    if (Number(r.rows[0]?.n ?? 0) >= 2) break;
    if (i > 100) throw new Error('no audit checkpoint after 10 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  type Staff = { id: string; token: string; username: string; password: string; secret: string };
  const staff: [Caller, Staff][] = [
    ['admin', admin],
    ['safeguard_reviewer', w.reviewer as Staff],
    ['auditor', auditor],
    ['case_officer', w.officer as Staff],
    ['supervisor', w.supervisor as Staff],
    ['other_agency_case_officer', w.probationOfficer as Staff],
  ];
  const consoleSessions: Partial<Record<Caller, ConsoleSession>> = {};
  for (const [caller, user] of staff) consoleSessions[caller] = await consoleSignIn(t, user);

  return {
    w,
    consoleSessions,
    tokens: {
      admin: admin.token,
      safeguard_reviewer: w.reviewer.token,
      auditor: auditor.token,
      case_officer: w.officer.token,
      supervisor: w.supervisor.token,
      other_agency_case_officer: w.probationOfficer.token,
      municipality: w.cityToken,
      other_municipality: w.otherCityToken,
      prefecture: w.prefectureToken,
      agency_client: w.facilityToken,
    },
    ministryId,
    auditor,
    record,
    reqApproved,
    reqToDecide,
    reqToRevoke,
    reqToWithdraw,
    reqErasure,
    reqConsoleDecide,
    reqConsoleRevoke,
    sgToVerify,
    sgToReject,
    sgToSuspend,
    sgActiveA,
    sgConsoleReject,
    cityD,
    sacrificialClientId,
    consoleSacrificialClientId,
    tokenClient,
    loginUser,
    patchUser,
    webhook,
    webhookDelivery,
  };
}
