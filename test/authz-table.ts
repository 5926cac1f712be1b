/**
 * Who may call what: the expected outcome of every route for every kind of caller.
 *
 * One row per route, keyed `METHOD /path` exactly as the route is registered (global prefix
 * included, `:param` templates as Nest declares them). test/authz-matrix.e2e-spec.ts discovers the
 * application's own route table at runtime and fails when a route has no row here, or a row names
 * no route, then calls every route as every caller and checks the cell.
 *
 * Cells:
 *   ok   allowed: 2xx, or a business answer that is not about permission (409, 422 …); never
 *        401/403, never 404 (every fixture object exists and belongs to an allowed caller)
 *   401  no token
 *   403  the role or scope does not allow the route
 *   404  object-level: the object exists but is not the caller's (must look like a missing one)
 *
 * The console (/console) answers with pages and redirects, not problem+json: there 401 is a
 * redirect to /console/login (a sign-out that clears the session cookie is an allowed one), and a
 * refused form action may come back as a redirect carrying `e=forbidden` (403) or `e=notfound` (404).
 *
 * Callers (columns, in this order):
 *   anon   no token
 *   adm    administrator (ministry)
 *   rev    safeguard reviewer (ministry)
 *   aud    auditor (ministry)
 *   off    case officer of facility F, which holds the record and receives the requests
 *   sup    supervisor of facility F (supervisor implies case_officer)
 *   off2   case officer of ANOTHER agency (probation office P)
 *   muni   municipal system of city A (made the requests; every municipal scope)
 *   mun2   municipal system of ANOTHER municipality B
 *   pref   prefecture system (A's own prefecture; every municipal scope)
 *   agcy   agency system of F (scopes records:write, webhooks:write)
 * On /console the staff callers present their console session (same users); the API clients,
 * who have no console, present their bearer token.
 */

export const CALLERS = [
  'anonymous',
  'admin',
  'safeguard_reviewer',
  'auditor',
  'case_officer',
  'supervisor',
  'other_agency_case_officer',
  'municipality',
  'other_municipality',
  'prefecture',
  'agency_client',
] as const;
export type Caller = (typeof CALLERS)[number];

export type Outcome = 'allow' | 401 | 403 | 404;

// prettier-ignore
const GRID: [route: string, cells: string][] = [
  //                                                 anon adm  rev  aud  off  sup  off2 muni mun2 pref agcy
  // public (the OpenAPI document and its UI included)
  ['GET /.well-known/jwks.json',                    'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /health/live',                              'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  // guarded by METRICS_TOKEN when it is set (operations.e2e-spec.ts); this app runs without one
  ['GET /metrics',                                  'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /problems',                                 'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /problems/:slug',                           'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /health/ready',                             'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs',                                 'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs-json',                            'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs-yaml',                            'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs/',                                'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs/index.html',                      'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs/swagger-ui-init.js',              'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs/docs/swagger-ui-init.js',         'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/docs/LICENSE',                         '404  404  404  404  404  404  404  404  404  404  404'], // @nestjs/swagger hides it on purpose
  ['POST /api/v1/auth/token',                       'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['POST /api/v1/auth/login',                       'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  // any staff user, also with a token that has not completed TOTP
  ['POST /api/v1/auth/mfa/enroll',                  '401  ok   ok   ok   ok   ok   ok   403  403  403  403'],
  ['POST /api/v1/auth/mfa/verify',                  '401  ok   ok   ok   ok   ok   ok   403  403  403  403'],
  ['POST /api/v1/auth/logout',                      '401  ok   ok   ok   ok   ok   ok   403  403  403  403'],
  // organisations, clients, users
  ['POST /api/v1/organizations',                    '401  ok   403  403  403  403  403  403  403  403  403'],
  ['GET /api/v1/organizations',                     '401  ok   ok   ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/organizations/:id',                 '401  ok   ok   ok   403  403  403  403  403  403  403'],
  ['POST /api/v1/organizations/:id/clients',        '401  ok   403  403  403  403  403  403  403  403  403'],
  ['GET /api/v1/organizations/:id/clients',         '401  ok   403  403  403  403  403  403  403  403  403'],
  ['DELETE /api/v1/clients/:clientId',              '401  ok   403  403  403  403  403  403  403  403  403'],
  ['POST /api/v1/users',                            '401  ok   403  403  403  403  403  403  403  403  403'],
  ['GET /api/v1/users',                             '401  ok   403  403  403  403  403  403  403  403  403'],
  ['PATCH /api/v1/users/:id',                       '401  ok   403  403  403  403  403  403  403  403  403'],
  // safeguards
  ['PUT /api/v1/safeguards',                        '401  403  403  403  403  403  403  ok   ok   ok   403'],
  ['GET /api/v1/safeguards/current',                '401  403  403  403  403  403  403  ok   ok   ok   403'],
  ['GET /api/v1/safeguards',                        '401  403  ok   403  403  403  403  403  403  403  403'],
  ['GET /api/v1/organizations/:id/safeguards',      '401  403  ok   403  403  403  403  403  403  403  403'],
  ['POST /api/v1/safeguards/:id/verify',            '401  403  ok   403  403  403  403  403  403  403  403'],
  ['POST /api/v1/safeguards/:id/reject',            '401  403  ok   403  403  403  403  403  403  403  403'],
  ['POST /api/v1/safeguards/:id/suspend',           '401  403  ok   403  403  403  403  403  403  403  403'],
  // release-information records (held by F)
  ['POST /api/v1/release-records',                  '401  403  403  403  ok   ok   ok   403  403  403  ok'],
  ['POST /api/v1/release-records/import',           '401  403  403  403  ok   ok   ok   403  403  403  ok'],
  ['GET /api/v1/release-records',                   '401  403  403  403  ok   ok   ok   403  403  403  403'],
  ['GET /api/v1/release-records/:id',               '401  403  403  403  ok   ok   404  403  403  403  403'],
  ['PATCH /api/v1/release-records/:id',             '401  403  403  403  ok   ok   404  403  403  403  ok'],
  ['GET /api/v1/release-records/:id/disclosures',   '401  403  403  ok   ok   ok   404  403  403  403  403'],
  // requests (made by A, routed to F), decisions, disclosure
  ['POST /api/v1/requests',                         '401  403  403  403  403  403  403  ok   ok   ok   403'],
  ['GET /api/v1/requests',                          '401  403  403  403  ok   ok   ok   ok   ok   ok   403'],
  ['GET /api/v1/requests/:id',                      '401  403  403  403  ok   ok   404  ok   404  404  403'],
  ['POST /api/v1/requests/:id/withdraw',            '401  403  403  403  403  403  403  ok   404  404  403'],
  ['POST /api/v1/requests/:id/decisions',           '401  403  403  403  ok   ok   404  403  403  403  403'],
  ['GET /api/v1/requests/:id/decisions',            '401  403  403  403  ok   ok   404  403  403  403  403'],
  ['POST /api/v1/requests/:id/revoke',              '401  403  403  403  ok   ok   404  403  403  403  403'],
  ['GET /api/v1/requests/:id/disclosure',           '401  403  403  403  403  403  403  ok   404  404  403'],
  // erasure attestations: the requesting municipality attests; reviewers list every organisation's
  ['POST /api/v1/requests/:id/erasure',             '401  403  403  403  403  403  403  ok   404  404  403'],
  ['GET /api/v1/erasure',                           '401  403  ok   403  403  403  403  403  403  403  403'],
  // webhooks: clients with webhooks:write (muni, mun2, pref, agcy) for their own organisation, admin for any;
  // the webhook is city A's, so another organisation's client finds nothing
  ['POST /api/v1/webhooks',                         '401  ok   403  403  403  403  403  ok   ok   ok   ok'],
  ['GET /api/v1/webhooks',                          '401  ok   403  403  403  403  403  ok   ok   ok   ok'],
  ['GET /api/v1/webhooks/:id',                      '401  ok   403  403  403  403  403  ok   404  404  404'],
  ['DELETE /api/v1/webhooks/:id',                   '401  ok   403  403  403  403  403  ok   404  404  404'],
  ['POST /api/v1/webhooks/:id/rotate-secret',       '401  ok   403  403  403  403  403  ok   404  404  404'],
  ['POST /api/v1/webhooks/:id/ping',                '401  ok   403  403  403  403  403  ok   404  404  404'],
  ['GET /api/v1/webhooks/:id/deliveries',           '401  ok   403  403  403  403  403  ok   404  404  404'],
  ['POST /api/v1/webhooks/:id/deliveries/:deliveryId/redeliver', '401  ok   403  403  403  403  403  ok   404  404  404'],
  // audit
  ['GET /api/v1/audit/events',                      '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/events/export',               '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/checkpoints/latest',          '401  403  403  ok   403  403  403  ok   ok   ok   403'],
  ['GET /api/v1/audit/checkpoints/latest.note',     '401  403  403  ok   403  403  403  ok   ok   ok   403'],
  ['GET /api/v1/audit/verifier-key',                'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/v1/audit/checkpoints',                 '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/events/:index/proof',         '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/consistency',                 '401  403  403  ok   403  403  403  403  403  403  403'],
  ['POST /api/v1/audit/verify',                     '401  403  403  ok   403  403  403  403  403  403  403'],
  // statistics (counts only, small cells suppressed): auditors, reviewers, administrators
  ['GET /api/v1/statistics',                        '401  ok   ok   ok   403  403  403  403  403  403  403'],
  ['POST /api/v1/audit/reviews',                    '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/reviews',                     '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/actions',                     'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /api/v1/audit/records/:recordId/report',    '401  403  403  ok   403  403  403  403  403  403  403'],
  ['GET /api/v1/audit/anomalies',                   '401  403  403  ok   403  403  403  403  403  403  403'],
  // console: HTML pages on a cookie session. Staff present their console session; the API
  // clients present their bearer token, which must not open the console (401 = sent to sign-in).
  ['GET /console/login',                            'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['POST /console/login',                           'ok   ok   ok   ok   ok   ok   ok   ok   ok   ok   ok'],
  ['GET /console/mfa',                              '401  ok   ok   ok   ok   ok   ok   401  401  401  401'],
  ['POST /console/mfa',                             '401  ok   ok   ok   ok   ok   ok   401  401  401  401'],
  ['POST /console/logout',                          '401  ok   ok   ok   ok   ok   ok   401  401  401  401'],
  ['GET /console',                                  '401  ok   ok   ok   ok   ok   ok   401  401  401  401'],
  ['GET /console/queue',                            '401  403  403  403  ok   ok   ok   401  401  401  401'],
  ['GET /console/requests/:id',                     '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['GET /console/requests/:id/record',              '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['POST /console/requests/:id/decide',             '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['POST /console/requests/:id/revoke',             '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['POST /console/requests/:id/take',               '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['POST /console/requests/:id/release',            '401  403  403  403  ok   ok   404  401  401  401  401'],
  ['GET /console/safeguards',                       '401  403  ok   403  403  403  403  401  401  401  401'],
  ['GET /console/safeguards/:id',                   '401  403  ok   403  403  403  403  401  401  401  401'],
  ['POST /console/safeguards/:id/:action',          '401  403  ok   403  403  403  403  401  401  401  401'],
  ['GET /console/audit',                            '401  403  403  ok   403  403  403  401  401  401  401'],
  ['POST /console/audit/verify',                    '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/export',                     '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/requests/:id',               '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/records/:id',                '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/reviews',                    '401  403  403  ok   403  403  403  401  401  401  401'],
  ['POST /console/audit/reviews',                   '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/report',                     '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/report/export',              '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/audit/anomalies',                  '401  403  403  ok   403  403  403  401  401  401  401'],
  ['GET /console/webhooks',                         '401  ok   403  403  403  ok   403  401  401  401  401'],
  ['GET /console/admin',                            '401  ok   403  403  403  403  403  401  401  401  401'],
  ['POST /console/admin/organizations',             '401  ok   403  403  403  403  403  401  401  401  401'],
  ['POST /console/admin/users',                     '401  ok   403  403  403  403  403  401  401  401  401'],
  ['POST /console/admin/users/:id/:action',         '401  ok   403  403  403  403  403  401  401  401  401'],
  ['POST /console/admin/organizations/:id/clients', '401  ok   403  403  403  403  403  401  401  401  401'],
  ['POST /console/admin/clients/:clientId/revoke',  '401  ok   403  403  403  403  403  401  401  401  401'],
  ['GET /console/statistics',                       '401  ok   ok   ok   403  403  403  401  401  401  401'],
  ['GET /console/statistics/export',                '401  ok   ok   ok   403  403  403  401  401  401  401'],
];

function parseCell(route: string, token: string): Outcome {
  switch (token) {
    case 'ok':
      return 'allow';
    case '401':
      return 401;
    case '403':
      return 403;
    case '404':
      return 404;
    default:
      throw new Error(`authz table: bad cell "${token}" in row ${route}`);
  }
}

function build(): Record<string, Record<Caller, Outcome>> {
  const table: Record<string, Record<Caller, Outcome>> = {};
  for (const [route, cells] of GRID) {
    if (!/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/.test(route))
      throw new Error(`authz table: bad route key "${route}"`);
    if (table[route]) throw new Error(`authz table: duplicate row ${route}`);
    const tokens = cells.trim().split(/\s+/);
    if (tokens.length !== CALLERS.length)
      throw new Error(`authz table: row ${route} has ${tokens.length} cells, expected ${CALLERS.length}`);
    table[route] = Object.fromEntries(CALLERS.map((c, i) => [c, parseCell(route, tokens[i]!)])) as Record<
      Caller,
      Outcome
    >;
  }
  return table;
}

/** `METHOD /path` → caller → expected outcome. */
export const AUTHZ_TABLE: Readonly<Record<string, Readonly<Record<Caller, Outcome>>>> = build();
