import { CLIENT_SCOPES } from '../../src/organizations/api-client.entity';
import { ORGANIZATION_KINDS } from '../../src/organizations/organization.entity';
import { RELEASE_TYPES, SEXES, SUPPORT_NEEDS } from '../../src/release-records/release-record.entity';
import { REQUEST_STATUSES } from '../../src/requests/request.entity';
import { SAFEGUARD_STATUSES } from '../../src/safeguards/safeguard.entity';
import { ROLES } from '../../src/users/user.entity';
import { EVENT_TYPES } from '../../src/events/domain-events';
import { DELIVERY_STATUSES } from '../../src/webhooks/dto/webhook.dto';
import { ACTION_GROUP_KEYS } from '../../src/audit/actions';
import type { QuerySchema, Schema } from './fuzz-inputs';

/**
 * What each body and query DTO accepts, as the fuzzer needs to know it: the type, whether it is
 * required, and its format or length rule. Written from the DTOs in src/ (the contract's
 * "Bodies"); a rule changed there without changing it here makes the fuzzer's "certainly invalid"
 * assumption visible as a failing property.
 */

import { CATEGORIES } from '../../config/categories';
const PURPOSES = ['reintegration_support', 'welfare_coordination', 'ordinance_program'];
const date = (req = true) => ({ k: 'date', req }) as const;
const plain = (max: number, req = true) => ({ k: 'plain', max, req }) as const;

export const TOKEN: Schema = {
  grant_type: { k: 'enum', values: ['client_credentials'], req: true },
  client_id: { k: 'string', max: 100, req: true },
  client_secret: { k: 'string', max: 200, req: true },
  scope: { k: 'pattern', re: /^[a-z:]+( [a-z:]+)*$/ },
};

export const LOGIN: Schema = {
  username: { k: 'string', max: 64, req: true },
  password: { k: 'string', max: 256, req: true },
  totp: { k: 'pattern', re: /^\d{6}$/ },
};

export const MFA_VERIFY: Schema = { code: { k: 'pattern', re: /^\d{6}$/, req: true } };

export const CREATE_ORGANIZATION: Schema = {
  kind: { k: 'enum', values: ORGANIZATION_KINDS, req: true },
  name: { k: 'string', max: 200, req: true },
  localGovernmentCode: { k: 'pattern', re: /^\d{6}$/ },
  parentId: { k: 'uuid' },
};

export const CREATE_CLIENT: Schema = {
  name: { k: 'string', max: 200 },
  scopes: { k: 'array', of: { k: 'enum', values: CLIENT_SCOPES }, unique: true },
};

export const CREATE_USER: Schema = {
  username: { k: 'pattern', re: /^[a-zA-Z0-9._-]{3,64}$/, req: true },
  displayName: { k: 'string', max: 100, req: true },
  organizationId: { k: 'uuid', req: true },
  roles: { k: 'array', of: { k: 'enum', values: ROLES }, maxItems: 5, unique: true, req: true },
  password: { k: 'string', max: 256, req: true },
};

export const UPDATE_USER: Schema = {
  displayName: { k: 'string', max: 100 },
  organizationId: { k: 'uuid' },
  roles: { k: 'array', of: { k: 'enum', values: ROLES }, maxItems: 5, unique: true },
  disabled: { k: 'bool' },
  resetMfa: { k: 'bool' },
  password: { k: 'string', max: 256 },
};

export const REGISTER_SAFEGUARDS: Schema = {
  legalBasis: {
    k: 'object',
    req: true,
    fields: {
      kind: { k: 'enum', values: ['ordinance', 'statute'], req: true },
      title: plain(300),
      article: plain(100, false),
      enactedOn: date(false),
      appiGround: { k: 'enum', values: ['consent', 'statutory_duty'], req: true },
    },
  },
  responsibleDepartment: plain(200),
  contactPoint: {
    k: 'object',
    req: true,
    fields: {
      name: plain(200),
      phone: { k: 'pattern', re: /^[0-9+\-() ]{6,30}$/, req: true },
      email: { k: 'email', req: true },
    },
  },
  privacyOfficer: plain(200),
  overallManager: plain(200, false),
  retention: {
    k: 'object',
    req: true,
    fields: { days: { k: 'int', min: 1, max: 3650, req: true }, disposalMethod: plain(500) },
  },
  fileRegisterEntry: plain(200, false),
  measures: {
    k: 'object',
    req: true,
    fields: Object.fromEntries(
      ['organizational', 'human', 'physical', 'technical'].map((g) => [
        g,
        { k: 'array', of: { k: 'string', max: 64 }, maxItems: 50, unique: true, req: true },
      ]),
    ),
  },
  purposes: { k: 'array', of: { k: 'enum', values: PURPOSES }, unique: true, req: true },
  attestedBy: { k: 'object', req: true, fields: { name: plain(100), title: plain(100) } },
  attestedOn: date(),
};

export const VERIFY_SAFEGUARDS: Schema = { validUntil: { k: 'datetime' } };
export const REASON: Schema = { reason: plain(1000) };

const RECORD_FIELDS: Schema = {
  fullName: plain(100),
  fullNameKana: plain(100, false),
  birthDate: date(),
  sex: { k: 'enum', values: SEXES, req: true },
  releaseDate: date(),
  releaseType: { k: 'enum', values: RELEASE_TYPES, req: true },
  facilityName: plain(200, false),
  admissionDate: date(false),
  plannedResidence: {
    k: 'object',
    req: true,
    fields: { address: plain(300), localGovernmentCode: { k: 'pattern', re: /^\d{6}$/, req: true } },
  },
  supervision: {
    k: 'object',
    fields: {
      probationOfficeName: plain(200),
      supervisionEndDate: date(),
      officerContact: plain(200, false),
    },
  },
  supportNeeds: {
    k: 'object',
    fields: {
      needs: {
        k: 'array',
        of: { k: 'enum', values: SUPPORT_NEEDS },
        maxItems: SUPPORT_NEEDS.length,
        unique: true,
        req: true,
      },
      note: plain(2000, false),
    },
  },
  offense: {
    k: 'object',
    fields: {
      category: plain(100),
      sentenceType: plain(100, false),
      sentenceTerm: plain(100, false),
      sentenceEndDate: date(false),
    },
  },
  consents: {
    k: 'objectArray',
    maxItems: 20,
    fields: {
      recipientOrganizationId: { k: 'uuid' },
      purposes: { k: 'array', of: { k: 'enum', values: PURPOSES }, unique: true, req: true },
      categories: { k: 'array', of: { k: 'enum', values: CATEGORIES }, unique: true, req: true },
      signedOn: date(),
      validUntil: date(false),
    },
  },
};
export const RELEASE_RECORD: Schema = {
  externalRef: { k: 'pattern', re: /^[A-Za-z0-9._:/-]{1,64}$/, req: true },
  ...RECORD_FIELDS,
};
export const UPDATE_RELEASE_RECORD: Schema = Object.fromEntries(
  Object.entries(RECORD_FIELDS).map(([k, f]) => [k, { ...f, req: false }]),
) as Schema;

export const CREATE_REQUEST: Schema = {
  subject: {
    k: 'object',
    req: true,
    fields: { recordRef: { k: 'pattern', re: /^R-[0-9A-Z]{10}$/, req: true } },
  },
  purpose: { k: 'enum', values: PURPOSES, req: true },
  categories: {
    k: 'array',
    of: { k: 'enum', values: CATEGORIES },
    maxItems: CATEGORIES.length,
    unique: true,
    req: true,
  },
  legalGround: {
    k: 'object',
    req: true,
    fields: {
      kind: { k: 'enum', values: ['consent', 'statutory_duty'], req: true },
      consent: {
        k: 'object',
        req: true,
        fields: { documentRef: plain(200), signedOn: date(), scope: plain(1000) },
      },
    },
  },
  justification: plain(2000),
};

export const WITHDRAW: Schema = { reason: plain(1000, false) };

export const ERASURE: Schema = {
  disposedOn: date(),
  method: plain(200),
  attestedBy: { k: 'object', req: true, fields: { name: plain(100), title: plain(100) } },
  note: plain(1000, false),
};

export const DECIDE: Schema = {
  decision: { k: 'enum', values: ['approve', 'reject'], req: true },
  categories: { k: 'array', of: { k: 'enum', values: CATEGORIES }, unique: true },
  accessUntil: { k: 'datetime' },
  maxRetrievals: { k: 'int', min: 1, max: 1000 },
  reason: plain(2000),
};

export const REVOKE: Schema = { reason: plain(2000) };

export const CREATE_WEBHOOK: Schema = {
  // Any string up to 2048 characters passes validation; what makes a URL acceptable is a rule (422).
  url: { k: 'string', max: 2048, req: true },
  events: { k: 'array', of: { k: 'enum', values: EVENT_TYPES }, maxItems: EVENT_TYPES.length, unique: true, req: true },
  description: plain(200, false),
  organizationId: { k: 'uuid' },
};

export const CREATE_REVIEW: Schema = {
  kind: { k: 'enum', values: ['period', 'finding'], req: true },
  from: date(false),
  to: date(false),
  eventIds: { k: 'array', of: { k: 'pattern', re: /^\d{1,19}$/ }, maxItems: 100, unique: true },
  anomaly: { k: 'pattern', re: /^[A-Za-z0-9_.:/-]{1,200}$/ },
  conclusion: plain(2000),
};

/** `@Body() _body: Record<string, never>`: nothing is accepted. */
export const EMPTY: Schema = {};

// ---- queries --------------------------------------------------------------------------------

const PAGE: QuerySchema = {
  cursor: { k: 'pattern', re: /^[A-Za-z0-9_-]{1,200}$/ },
  limit: { k: 'intString', min: 1, max: 200 },
};
const AUDIT_FILTER: QuerySchema = {
  actor: { k: 'pattern', re: /^[A-Za-z0-9_-]{1,100}$/ },
  org: { k: 'uuid' },
  action: { k: 'pattern', re: /^[a-z._]{1,64}$/ },
  group: { k: 'enum', values: ACTION_GROUP_KEYS },
  actorName: { k: 'free', max: 100 },
  resource: { k: 'pattern', re: /^[a-z_]{1,64}$/ },
  record: { k: 'uuid' },
  outcome: { k: 'enum', values: ['success', 'denied', 'failure'] },
  from: { k: 'time' },
  to: { k: 'time' },
};

export const QUERIES: Record<string, QuerySchema> = {
  // from/to: the shape only (a well-shaped impossible date is refused too, but is not generated here)
  'GET /api/v1/statistics': {
    from: { k: 'pattern', re: /^\d{4}-\d{2}-\d{2}$/ },
    to: { k: 'pattern', re: /^\d{4}-\d{2}-\d{2}$/ },
    groupBy: { k: 'enum', values: ['month', 'prefecture', 'purpose', 'holder_kind'] },
  },
  'GET /api/v1/organizations': { ...PAGE, kind: { k: 'enum', values: ORGANIZATION_KINDS } },
  'GET /api/v1/users': { ...PAGE, organizationId: { k: 'uuid' } },
  'GET /api/v1/safeguards': { status: { k: 'enum', values: SAFEGUARD_STATUSES } },
  'GET /api/v1/erasure': { ...PAGE, status: { k: 'enum', values: ['due', 'overdue', 'attested'] } },
  'GET /api/v1/release-records': { ...PAGE, externalRef: { k: 'free', max: 64 } },
  'GET /api/v1/requests': {
    ...PAGE,
    status: { k: 'enum', values: REQUEST_STATUSES },
    purpose: { k: 'enum', values: PURPOSES },
    from: { k: 'time' },
    to: { k: 'time' },
  },
  'GET /api/v1/webhooks': { ...PAGE, organizationId: { k: 'uuid' } },
  'GET /api/v1/webhooks/:id/deliveries': { ...PAGE, status: { k: 'enum', values: DELIVERY_STATUSES } },
  'GET /api/v1/audit/events': {
    ...AUDIT_FILTER,
    cursor: { k: 'pattern', re: /^\d{1,19}$/ },
    limit: { k: 'intString', min: 1, max: 500 },
  },
  'GET /api/v1/audit/events/export': { ...AUDIT_FILTER, format: { k: 'enum', values: ['ndjson', 'csv'] } },
  'GET /api/v1/audit/reviews': {
    cursor: { k: 'pattern', re: /^\d{1,19}$/ },
    limit: { k: 'intString', min: 1, max: 200 },
  },
  'GET /api/v1/audit/checkpoints': {
    cursor: { k: 'pattern', re: /^\d{1,19}$/ },
    limit: { k: 'intString', min: 1, max: 500 },
  },
  // No upper bound in the DTO: a huge tree size is valid input the service refuses with 422.
  'GET /api/v1/audit/events/:index/proof': { treeSize: { k: 'intString', min: 1, max: Infinity } },
  'GET /api/v1/audit/consistency': {
    from: { k: 'intString', min: 1, max: Infinity },
    to: { k: 'intString', min: 1, max: Infinity },
  },
  'GET /api/v1/audit/anomalies': {
    from: { k: 'time' },
    to: { k: 'time' },
    view: { k: 'enum', values: ['outside-hours', 'bursts', 'refusals', 'retrievals', 'approvals'] },
  },
};
