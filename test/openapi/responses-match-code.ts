// Type-level only (checked by `npm run typecheck`, nothing runs): what each route's handler returns
// must be what the committed client types (test/client/openapi.d.ts, generated from the served
// document) say it answers. test/generated-client.e2e-spec.ts keeps those types equal to the
// document the service serves, so a response DTO that drifts from the code fails the type check.
//
// For each operation: the handler's awaited return type must be assignable to the documented body
// (required members present, nullability and primitive types right) and the member names must agree
// all the way down, both ways (nothing undocumented, nothing documented that the code never sends).
// Enum values are compared as their primitive type here: the code often types them as plain strings;
// test/generated-client.e2e-spec.ts checks real answers, enums included, against the document.
import type { ApprovalsController } from '../../src/approvals/approvals.controller';
import type { AuditController } from '../../src/audit/audit.controller';
import type { AuditReviewsController } from '../../src/audit/reviews.controller';
import type { AuditActionsController } from '../../src/audit/actions.controller';
import type { AuditInsightsController } from '../../src/audit/audit-insights.controller';
import type { AuditInsightsService } from '../../src/audit/audit-insights.service';
import type { AuthController } from '../../src/auth/auth.controller';
import type { DisclosuresController } from '../../src/disclosures/disclosures.controller';
import type { HealthController } from '../../src/health/health.controller';
import type { OrganizationsController } from '../../src/organizations/organizations.controller';
import type { ReleaseRecordsController } from '../../src/release-records/release-records.controller';
import type { ErasureController } from '../../src/erasure/erasure.controller';
import type { RequestsController } from '../../src/requests/requests.controller';
import type { SafeguardsController } from '../../src/safeguards/safeguards.controller';
import type { UsersController } from '../../src/users/users.controller';
import type { WebhooksController } from '../../src/webhooks/webhooks.controller';
import type { StatisticsController } from '../../src/statistics/statistics.controller';
import type { RequestsService } from '../../src/requests/requests.service';
import type { toHolderView, toRequesterView } from '../../src/requests/request-views';
import type { components, paths } from '../client/openapi';

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;
type Responses<P extends keyof paths, M extends Method> = Op<P, M> extends { responses: infer R } ? R : never;
/** The documented JSON body of one answer. */
type Documented<P extends keyof paths, M extends Method, S extends keyof Responses<P, M>> = Responses<
  P,
  M
>[S] extends { content: { 'application/json': infer B } }
  ? B
  : { noJsonBody: [P, M, S] };
/** What a handler answers (after its promise). */
type Returns<C, K extends keyof C> = C[K] extends (...args: never[]) => infer R ? Awaited<R> : never;

type NonNull<T> = Exclude<T, null | undefined>;
type AllKeys<T> = T extends unknown ? keyof T : never;
type Prop<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;
type Elem<T> = T extends readonly (infer E)[] ? E : never;
type Primitive<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer E)[]
        ? Primitive<E>[]
        : T extends object
          ? { [K in keyof T]: Primitive<T[K]> }
          : T;

/** The paths where the member names of two JSON shapes differ; never when they agree all the way down. */
type KeyDiff<A, B, Path extends string = ''> = [NonNull<A>] extends [never]
  ? never
  : [NonNull<A>] extends [readonly unknown[]]
    ? [NonNull<B>] extends [readonly unknown[]]
      ? KeyDiff<Elem<NonNull<A>>, Elem<NonNull<B>>, `${Path}[]`>
      : `${Path} (an array in the code only)`
    : [NonNull<A>] extends [object]
      ? [NonNull<B>] extends [object]
        ? | `${Path}.${Exclude<AllKeys<NonNull<A>>, AllKeys<NonNull<B>>> & string} (in the code, not in the document)`
          | `${Path}.${Exclude<AllKeys<NonNull<B>>, AllKeys<NonNull<A>>> & string} (in the document, not in the code)`
          | {
              [K in AllKeys<NonNull<A>> & AllKeys<NonNull<B>> & string]: KeyDiff<
                Prop<NonNull<A>, K>,
                Prop<NonNull<B>, K>,
                `${Path}.${K}`
              >;
            }[AllKeys<NonNull<A>> & AllKeys<NonNull<B>> & string]
        : `${Path} (an object in the code only)`
      : never;

type Agrees<Code, Doc> = [Code] extends [Primitive<Doc>]
  ? [KeyDiff<Code, Doc>] extends [never]
    ? true
    : { membersDiffer: KeyDiff<Code, Doc> }
  : { notAssignable: { code: Code; documented: Doc } };
type Check<T extends true> = T;
/** A 204: the document promises no body. */
type NoBody<P extends keyof paths, M extends Method> =
  Responses<P, M> extends { 204: { content?: never } } ? true : { bodyDocumentedFor204: [P, M] };

export type Checked = [
  // auth
  Check<Agrees<Returns<AuthController, 'token'>, Documented<'/api/v1/auth/token', 'post', 200>>>,
  Check<Agrees<Returns<AuthController, 'login'>, Documented<'/api/v1/auth/login', 'post', 200>>>,
  Check<Agrees<Returns<AuthController, 'enroll'>, Documented<'/api/v1/auth/mfa/enroll', 'post', 200>>>,
  Check<Agrees<Returns<AuthController, 'verify'>, Documented<'/api/v1/auth/mfa/verify', 'post', 200>>>,
  Check<NoBody<'/api/v1/auth/logout', 'post'>>,
  // jose's JWK type has every member optional: the JWKS answer is checked at run time only.
  // health (terminus' result type is wider than a passing check: /health/ready is checked at run time)
  Check<Agrees<Returns<HealthController, 'live'>, Documented<'/health/live', 'get', 200>>>,
  // organisations and clients
  Check<Agrees<Returns<OrganizationsController, 'create'>, Documented<'/api/v1/organizations', 'post', 201>>>,
  Check<Agrees<Returns<OrganizationsController, 'list'>, Documented<'/api/v1/organizations', 'get', 200>>>,
  Check<
    Agrees<Returns<OrganizationsController, 'get'>, Documented<'/api/v1/organizations/{id}', 'get', 200>>
  >,
  Check<
    Agrees<
      Returns<OrganizationsController, 'createClient'>,
      Documented<'/api/v1/organizations/{id}/clients', 'post', 201>
    >
  >,
  Check<
    Agrees<
      Returns<OrganizationsController, 'listClients'>,
      Documented<'/api/v1/organizations/{id}/clients', 'get', 200>
    >
  >,
  Check<NoBody<'/api/v1/clients/{clientId}', 'delete'>>,
  // users
  Check<Agrees<Returns<UsersController, 'create'>, Documented<'/api/v1/users', 'post', 201>>>,
  Check<Agrees<Returns<UsersController, 'list'>, Documented<'/api/v1/users', 'get', 200>>>,
  Check<Agrees<Returns<UsersController, 'update'>, Documented<'/api/v1/users/{id}', 'patch', 200>>>,
  // safeguards
  Check<Agrees<Returns<SafeguardsController, 'register'>, Documented<'/api/v1/safeguards', 'put', 201>>>,
  Check<
    Agrees<Returns<SafeguardsController, 'current'>, Documented<'/api/v1/safeguards/current', 'get', 200>>
  >,
  Check<Agrees<Returns<SafeguardsController, 'list'>, Documented<'/api/v1/safeguards', 'get', 200>>>,
  Check<
    Agrees<
      Returns<SafeguardsController, 'forOrganization'>,
      Documented<'/api/v1/organizations/{id}/safeguards', 'get', 200>
    >
  >,
  Check<
    Agrees<Returns<SafeguardsController, 'verify'>, Documented<'/api/v1/safeguards/{id}/verify', 'post', 200>>
  >,
  Check<
    Agrees<Returns<SafeguardsController, 'reject'>, Documented<'/api/v1/safeguards/{id}/reject', 'post', 200>>
  >,
  Check<
    Agrees<
      Returns<SafeguardsController, 'suspend'>,
      Documented<'/api/v1/safeguards/{id}/suspend', 'post', 200>
    >
  >,
  // release records
  Check<
    Agrees<Returns<ReleaseRecordsController, 'create'>, Documented<'/api/v1/release-records', 'post', 201>>
  >,
  Check<
    Agrees<Returns<ReleaseRecordsController, 'create'>, Documented<'/api/v1/release-records', 'post', 200>>
  >,
  Check<
    Agrees<
      Returns<ReleaseRecordsController, 'import'>,
      Documented<'/api/v1/release-records/import', 'post', 200>
    >
  >,
  Check<Agrees<Returns<ReleaseRecordsController, 'list'>, Documented<'/api/v1/release-records', 'get', 200>>>,
  Check<
    Agrees<Returns<ReleaseRecordsController, 'get'>, Documented<'/api/v1/release-records/{id}', 'get', 200>>
  >,
  Check<
    Agrees<
      Returns<ReleaseRecordsController, 'update'>,
      Documented<'/api/v1/release-records/{id}', 'patch', 200>
    >
  >,
  // requests, decisions, disclosures
  Check<Agrees<Returns<RequestsController, 'create'>, Documented<'/api/v1/requests', 'post', 201>>>,
  // A list or a read answers the requester's view to a local government and the holder's view to staff.
  // TypeScript folds the two into the requester's (the holder's view extends it), so each view is checked on its own.
  Check<Agrees<ReturnType<typeof toRequesterView>, Schema<'RequestDto'>>>,
  Check<Agrees<ReturnType<typeof toHolderView>, Schema<'HolderRequestDto'>>>,
  Check<Agrees<Awaited<ReturnType<RequestsService['getForHolder']>>, Schema<'HolderRequestDto'>>>,
  Check<
    Same<Documented<'/api/v1/requests/{id}', 'get', 200>, Schema<'HolderRequestDto'> | Schema<'RequestDto'>>
  >,
  Check<
    Same<
      Documented<'/api/v1/requests', 'get', 200>['items'][number],
      Schema<'HolderRequestDto'> | Schema<'RequestDto'>
    >
  >,
  Check<
    Agrees<
      Omit<Returns<RequestsController, 'list'>, 'items'>,
      Omit<Documented<'/api/v1/requests', 'get', 200>, 'items'>
    >
  >,
  Check<
    Agrees<Returns<RequestsController, 'withdraw'>, Documented<'/api/v1/requests/{id}/withdraw', 'post', 200>>
  >,
  Check<
    Agrees<Returns<ApprovalsController, 'decide'>, Documented<'/api/v1/requests/{id}/decisions', 'post', 200>>
  >,
  Check<
    Agrees<Returns<ApprovalsController, 'list'>, Documented<'/api/v1/requests/{id}/decisions', 'get', 200>>
  >,
  Check<
    Agrees<Returns<ApprovalsController, 'revoke'>, Documented<'/api/v1/requests/{id}/revoke', 'post', 200>>
  >,
  // `data` is a plain record in the code: its members (one per approved category) are checked at run time.
  Check<
    Agrees<
      Omit<Returns<DisclosuresController, 'retrieve'>, 'data'>,
      Omit<Documented<'/api/v1/requests/{id}/disclosure', 'get', 200>, 'data'>
    >
  >,
  Check<
    Agrees<
      Returns<DisclosuresController, 'history'>,
      Documented<'/api/v1/release-records/{id}/disclosures', 'get', 200>
    >
  >,
  // erasure attestations
  Check<
    Agrees<Returns<ErasureController, 'attest'>, Documented<'/api/v1/requests/{id}/erasure', 'post', 201>>
  >,
  Check<Agrees<Returns<ErasureController, 'list'>, Documented<'/api/v1/erasure', 'get', 200>>>,
  // audit (an event's `details` is `unknown` in the code, a JSON object or null in the document)
  Check<
    Agrees<WithDetails<Returns<AuditController, 'search'>>, Documented<'/api/v1/audit/events', 'get', 200>>
  >,
  Check<
    Agrees<Returns<AuditController, 'latest'>, Documented<'/api/v1/audit/checkpoints/latest', 'get', 200>>
  >,
  Check<Agrees<Returns<AuditController, 'checkpoints'>, Documented<'/api/v1/audit/checkpoints', 'get', 200>>>,
  Check<
    Agrees<Returns<AuditController, 'proof'>, Documented<'/api/v1/audit/events/{index}/proof', 'get', 200>>
  >,
  Check<Agrees<Returns<AuditController, 'consistency'>, Documented<'/api/v1/audit/consistency', 'get', 200>>>,
  Check<Agrees<Returns<AuditController, 'verify'>, Documented<'/api/v1/audit/verify', 'post', 200>>>,
  Check<Agrees<Returns<AuditReviewsController, 'create'>, Documented<'/api/v1/audit/reviews', 'post', 201>>>,
  Check<Agrees<Returns<AuditReviewsController, 'list'>, Documented<'/api/v1/audit/reviews', 'get', 200>>>,
  Check<Agrees<Returns<AuditActionsController, 'catalogue'>, Documented<'/api/v1/audit/actions', 'get', 200>>>,
  // the report's handler answers JSON or CSV by Accept; its JSON is the service's report
  Check<Agrees<Returns<AuditInsightsService, 'personReport'>, Documented<'/api/v1/audit/records/{recordId}/report', 'get', 200>>>,
  Check<Agrees<Returns<AuditInsightsController, 'anomalies'>, Documented<'/api/v1/audit/anomalies', 'get', 200>>>,
  // webhooks
  Check<Agrees<Returns<WebhooksController, 'create'>, Documented<'/api/v1/webhooks', 'post', 201>>>,
  Check<Agrees<Returns<WebhooksController, 'list'>, Documented<'/api/v1/webhooks', 'get', 200>>>,
  Check<Agrees<Returns<WebhooksController, 'get'>, Documented<'/api/v1/webhooks/{id}', 'get', 200>>>,
  Check<Agrees<Returns<WebhooksController, 'rotateSecret'>, Documented<'/api/v1/webhooks/{id}/rotate-secret', 'post', 200>>>,
  Check<Agrees<Returns<WebhooksController, 'ping'>, Documented<'/api/v1/webhooks/{id}/ping', 'post', 202>>>,
  Check<Agrees<Returns<WebhooksController, 'deliveries'>, Documented<'/api/v1/webhooks/{id}/deliveries', 'get', 200>>>,
  Check<
    Agrees<Returns<WebhooksController, 'redeliver'>, Documented<'/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver', 'post', 202>>
  >,
  // statistics (JSON; the same table as CSV with Accept: text/csv)
  Check<Agrees<Returns<StatisticsController, 'get'>, Documented<'/api/v1/statistics', 'get', 200>>>,
  Check<StatisticsMediaTypes>,
  Check<ExportMediaTypes>,
  Check<ReportMediaTypes>,
  Check<TextMediaTypes>,
  // every operation of the document is in the list above (or named as checked at run time)
  Check<[Exclude<Operations, Listed>] extends [never] ? true : { notChecked: Exclude<Operations, Listed> }>,
];

type Schema<N extends keyof components['schemas']> = components['schemas'][N];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : { differ: [A, B] }) : { differ: [A, B] };
type WithDetails<T extends { items: { details: unknown }[] }> = Omit<T, 'items'> & {
  items: (Omit<T['items'][number], 'details'> & { details: Record<string, unknown> | null })[];
};
type TextMediaTypes = [
  Responses<'/metrics', 'get'>,
  Responses<'/api/v1/audit/checkpoints/latest.note', 'get'>,
  Responses<'/api/v1/audit/verifier-key', 'get'>,
] extends [{ 200: { content: { 'text/plain': unknown } } }, { 200: { content: { 'text/plain': string } } }, { 200: { content: { 'text/plain': string } } }]
  ? true
  : { textMediaTypes: false };
type StatisticsMediaTypes =
  Responses<'/api/v1/statistics', 'get'> extends { 200: { content: { 'application/json': unknown; 'text/csv': string } } }
    ? true
    : { statisticsMediaTypes: false };
type ExportMediaTypes =
  Responses<'/api/v1/audit/events/export', 'get'> extends {
    200: { content: { 'application/x-ndjson': string; 'text/csv': string } };
  }
    ? true
    : { exportMediaTypes: false };

type ReportMediaTypes =
  Responses<'/api/v1/audit/records/{recordId}/report', 'get'> extends {
    200: { content: { 'application/json': unknown; 'text/csv': string } };
  }
    ? true
    : { reportMediaTypes: false };

/** Every operation of the document, as `METHOD path`. */
type Operations = {
  [P in keyof paths]: {
    [M in Method]: undefined extends paths[P][M] ? never : `${Uppercase<M>} ${P & string}`;
  }[Method];
}[keyof paths];
type Listed =
  | 'POST /api/v1/auth/token'
  | 'POST /api/v1/auth/login'
  | 'POST /api/v1/auth/mfa/enroll'
  | 'POST /api/v1/auth/mfa/verify'
  | 'POST /api/v1/auth/logout'
  | 'GET /.well-known/jwks.json'
  | 'GET /health/live'
  | 'GET /health/ready'
  // text answers (Prometheus exposition, HTML or JSON explanations, a signed note, a verifier key):
  // their media types are checked below, their contents at run time
  | 'POST /api/v1/requests/{id}/erasure'
  | 'GET /api/v1/erasure'
  | 'POST /api/v1/webhooks'
  | 'GET /api/v1/webhooks'
  | 'GET /api/v1/webhooks/{id}'
  | 'DELETE /api/v1/webhooks/{id}'
  | 'POST /api/v1/webhooks/{id}/rotate-secret'
  | 'POST /api/v1/webhooks/{id}/ping'
  | 'GET /api/v1/webhooks/{id}/deliveries'
  | 'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'
  | 'GET /metrics'
  | 'GET /problems'
  | 'GET /problems/{slug}'
  | 'GET /api/v1/audit/checkpoints/latest.note'
  | 'GET /api/v1/audit/verifier-key'
  | 'POST /api/v1/organizations'
  | 'GET /api/v1/organizations'
  | 'GET /api/v1/organizations/{id}'
  | 'POST /api/v1/organizations/{id}/clients'
  | 'GET /api/v1/organizations/{id}/clients'
  | 'DELETE /api/v1/clients/{clientId}'
  | 'POST /api/v1/users'
  | 'GET /api/v1/users'
  | 'PATCH /api/v1/users/{id}'
  | 'PUT /api/v1/safeguards'
  | 'GET /api/v1/safeguards/current'
  | 'GET /api/v1/safeguards'
  | 'GET /api/v1/organizations/{id}/safeguards'
  | 'POST /api/v1/safeguards/{id}/verify'
  | 'POST /api/v1/safeguards/{id}/reject'
  | 'POST /api/v1/safeguards/{id}/suspend'
  | 'POST /api/v1/release-records'
  | 'POST /api/v1/release-records/import'
  | 'GET /api/v1/release-records'
  | 'GET /api/v1/release-records/{id}'
  | 'PATCH /api/v1/release-records/{id}'
  | 'POST /api/v1/requests'
  | 'GET /api/v1/requests'
  | 'GET /api/v1/requests/{id}'
  | 'POST /api/v1/requests/{id}/withdraw'
  | 'POST /api/v1/requests/{id}/decisions'
  | 'GET /api/v1/requests/{id}/decisions'
  | 'POST /api/v1/requests/{id}/revoke'
  | 'GET /api/v1/requests/{id}/disclosure'
  | 'GET /api/v1/release-records/{id}/disclosures'
  | 'GET /api/v1/audit/events'
  | 'GET /api/v1/audit/events/export'
  | 'GET /api/v1/audit/checkpoints/latest'
  | 'GET /api/v1/audit/checkpoints'
  | 'GET /api/v1/audit/events/{index}/proof'
  | 'GET /api/v1/audit/consistency'
  | 'POST /api/v1/audit/verify'
  | 'GET /api/v1/statistics'
  | 'POST /api/v1/audit/reviews'
  | 'GET /api/v1/audit/reviews'
  | 'GET /api/v1/audit/actions'
  | 'GET /api/v1/audit/records/{recordId}/report'
  | 'GET /api/v1/audit/anomalies';
