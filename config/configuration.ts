import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { resolve } from 'node:path';
import { EnvironmentVariables } from './env.schema';
import { NoteError, parseVerifierKey, SIG_COSIGNATURE_V1 } from '../src/audit/note';
import policyJson from './policy.json';
import measuresJson from './safeguard-measures.json';

import { checkPolicyCategories } from './categories';
import { checkAuditPolicy } from './audit-policy';
import type { AuditPolicy } from './audit-policy';
import { parseKeyring } from '../src/crypto/keyring';
import type { Category } from './categories';
export type { Category } from './categories';
export type Purpose = 'reintegration_support' | 'welfare_coordination' | 'ordinance_program';
export type MeasureGroup = 'organizational' | 'human' | 'physical' | 'technical';

export interface Policy {
  categories: Category[];
  sensitiveCategories: Category[];
  purposes: Record<Purpose, { label: { ja: string; en: string }; categories: Category[]; requiresOrdinance: boolean }>;
  /** While a municipality owes an overdue erasure attestation, its new requests are refused (403 erasure-overdue). */
  blockOnOverdueErasure: boolean;
  /** Published statistics show no count from 1 to this minus 1 (small-cell suppression); default 10. */
  statisticsMinCell: number;
  limits: {
    maxAccessWindowDays: number;
    defaultAccessWindowDays: number;
    maxRetrievals: number;
    defaultMaxRetrievals: number;
    pendingRequestExpiryDays: number;
    /** A request is due this many Japanese business days after it is made. */
    decisionBusinessDays: number;
    /** A request awaiting its second approval is due this many business days after the first. */
    secondApprovalBusinessDays: number;
    safeguardValidityDays: number;
    /** A release record is erased (crypto-shredded) this many days after the later of its release date and the end of supervision. */
    recordRetentionDays: number;
  };
  /** Anomaly-view thresholds and the per-person report's size (config/audit-policy.ts). */
  audit: AuditPolicy;
}

export type MeasureCatalogue = Record<MeasureGroup, Record<string, { ja: string; en: string }>>;

export interface AppConfig {
  port: number;
  /** Set when an external server is used; filled in at start when the embedded one runs. */
  databaseUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  embeddedPgPort?: number;
  logLevel: string;
  /** Set by LOG_FORMAT; undefined means: pretty when standard output is a terminal, else JSON. */
  logFormat?: 'json' | 'pretty';
  bootstrapAdmin?: { username: string; password: string };
  jwt: { issuer: string; audience: string; accessTokenTtlSeconds: number; signingKeyPem?: string; principalCacheSeconds: number };
  auditSigningKeyPem?: string;
  dataEncryptionKey?: string;
  /** DATA_KEYRING: the KEKs of release records' data keys and the active one; unset: files under DATA_DIR/keys/kek. */
  dataKeyring?: { keys: Map<string, Buffer>; active: string };
  /** BLIND_INDEX_KEY; unset: DATA_DIR/keys/blind-index.key. */
  blindIndexKey?: Buffer;
  /** How often the sealer adds new audit events to the Merkle log (at least every second by default). */
  auditSealIntervalMs: number;
  /** Origin line of the checkpoints, also the name of the log's note key. */
  auditLogOrigin: string;
  /** Witnesses the sealer submits checkpoints to (c2sp.org/tlog-witness). */
  auditWitnesses: WitnessConfig[];
  /** Witnesses that must have cosigned the newest checkpoint for verification to pass. */
  auditWitnessQuorum: number;
  bodyLimit: string;
  importBodyLimit: string;
  loginMaxFailures: number;
  redisUrl?: string;
  schedulerEnabled: boolean;
  console: { secureCookie: boolean; idleTimeoutSeconds: number; absoluteTimeoutSeconds: number };
  rateLimits: { authPerMinute: number; requestsPerMinute: number };
  trustProxy: boolean | number | string;
  /** `GET /metrics` needs this bearer token when set. */
  metricsToken?: string;
  /** Base of problem `type` URIs; each slug is explained at `GET /problems/<slug>`. */
  problemBaseUrl?: string;
  webhooks: WebhooksConfig;
  policy: Policy;
  measures: MeasureCatalogue;
}

export interface WitnessConfig {
  /** The witness's key name, from its verifier key. */
  name: string;
  /** Submission prefix: `<url>/add-checkpoint`; its read endpoint is `<url>/checkpoint?origin=…`. */
  url: string;
  /** `<name>+<hex key id>+<base64(0x04 ‖ Ed25519 public key)>` */
  verifierKey: string;
}

/**
 * AUDIT_WITNESSES: entries separated by ";" or newlines, each `<verifier key> <URL prefix>`, e.g.
 * `audit-office.example/w1+1a2b3c4d+BP…= https://witness.audit-office.example`.
 */
export function parseWitnesses(text: string | undefined): { witnesses: WitnessConfig[]; errors: string[] } {
  const witnesses: WitnessConfig[] = [];
  const errors: string[] = [];
  for (const [i, entry] of (text ?? '').split(/[;\n]/).map((e) => e.trim()).entries()) {
    if (!entry) continue;
    const [vkey, url, ...extra] = entry.split(/\s+/);
    const where = `Invalid environment variable AUDIT_WITNESSES (entry ${i + 1})`;
    if (!vkey || !url || extra.length) {
      errors.push(`${where}: each entry is "<verifier key> <URL>"`);
      continue;
    }
    try {
      const v = parseVerifierKey(vkey);
      if (v.type !== SIG_COSIGNATURE_V1) throw new NoteError('not a cosignature/v1 (type 0x04) key');
      const u = new URL(url);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new NoteError('the URL must be http(s)');
      if (u.search || u.hash || u.username || u.password) throw new NoteError('the URL must have no query, fragment or credentials');
      if (witnesses.some((w) => w.name === v.name)) throw new NoteError(`witness ${v.name} is listed twice`);
      witnesses.push({ name: v.name, url: u.toString().replace(/\/+$/, ''), verifierKey: vkey });
    } catch (err) {
      errors.push(`${where}: ${err instanceof TypeError ? 'the URL is not valid' : (err as Error).message}`);
    }
  }
  return { witnesses, errors };
}

/** The default origin: JWT_ISSUER without its scheme, ":" as "/", then "/audit-log". */
export function defaultOrigin(issuer: string): string {
  const base = issuer.replace(/^[a-z][a-z0-9+.-]*:(\/\/)?/i, '').replace(/[:\s+]+/g, '/').replace(/\/+$/, '');
  return `${base || 'oie'}/audit-log`.slice(0, 255);
}
export interface WebhooksConfig {
  /** Whether this instance dispatches events and works deliveries. */
  deliveryEnabled: boolean;
  /** Hosts exempt from the https and public-address rules (lower case; IPv6 without brackets). */
  allowedHosts: string[];
  /** Delay before each retry, in milliseconds; after the last one fails, the delivery has failed. */
  retryScheduleMs: number[];
  dispatchIntervalMs: number;
  timeoutMs: number;
}

/** Standard Webhooks' schedule: retries after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** A configuration problem: one line per bad variable, never a stack trace. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const vars = plainToInstance(EnvironmentVariables, raw, { enableImplicitConversion: false });
  const errors = validateSync(vars, { whitelist: true, forbidUnknownValues: false });
  const lines = errors.map((e) => {
    const shown = /PASSWORD|KEY|SECRET|TOKEN|URL/.test(e.property) ? '<hidden>' : JSON.stringify(raw[e.property] ?? '');
    return `Invalid environment variable ${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
  });
  if ((vars.BOOTSTRAP_ADMIN_USERNAME === undefined) !== (vars.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    lines.push('Invalid environment: BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD must be set together');
  }
  for (const problem of checkPolicyCategories(policyJson)) lines.push(`Invalid config/policy.json: ${problem}`);
  for (const problem of checkPolicySettings(policyJson)) lines.push(`Invalid config/policy.json: ${problem}`);
  for (const problem of checkAuditPolicy((policyJson as { audit?: unknown }).audit)) lines.push(`Invalid config/policy.json: ${problem}`);
  const { witnesses, errors: witnessErrors } = parseWitnesses(vars.AUDIT_WITNESSES);
  lines.push(...witnessErrors);
  if (vars.AUDIT_WITNESS_QUORUM !== undefined && vars.AUDIT_WITNESS_QUORUM > witnesses.length)
    lines.push(`Invalid environment: AUDIT_WITNESS_QUORUM=${vars.AUDIT_WITNESS_QUORUM} is more than the ${witnesses.length} witnesses in AUDIT_WITNESSES`);
  let dataKeyring: AppConfig['dataKeyring'];
  if (vars.DATA_KEYRING) {
    try {
      const keys = parseKeyring(vars.DATA_KEYRING);
      const active = vars.DATA_KEYRING_ACTIVE ?? (keys.size === 1 ? [...keys.keys()][0]! : undefined);
      if (!active) lines.push('Invalid environment: DATA_KEYRING_ACTIVE must name one of the keys in DATA_KEYRING when it holds several');
      else if (!keys.has(active)) lines.push(`Invalid environment: DATA_KEYRING_ACTIVE=${JSON.stringify(active)} is not a key id in DATA_KEYRING`);
      else dataKeyring = { keys, active };
    } catch (err) {
      lines.push(`Invalid environment variable DATA_KEYRING=<hidden>: ${(err as Error).message}`);
    }
    if (!vars.BLIND_INDEX_KEY) lines.push('Invalid environment: BLIND_INDEX_KEY must be set with DATA_KEYRING (every instance must compute the same blind index)');
  } else if (vars.DATA_KEYRING_ACTIVE) lines.push('Invalid environment: DATA_KEYRING_ACTIVE needs DATA_KEYRING');
  if (lines.length > 0) throw new ConfigError(lines);
  const issuer = vars.JWT_ISSUER ?? 'urn:oie:exchange';

  return {
    port: vars.PORT ?? 3000,
    databaseUrl: vars.DATABASE_URL,
    databasePoolSize: vars.DATABASE_POOL_SIZE ?? 20,
    dataDir: resolve(vars.DATA_DIR ?? '.data'),
    embeddedPgPort: vars.EMBEDDED_PG_PORT,
    logLevel: vars.LOG_LEVEL ?? 'info',
    logFormat: vars.LOG_FORMAT,
    bootstrapAdmin:
      vars.BOOTSTRAP_ADMIN_USERNAME && vars.BOOTSTRAP_ADMIN_PASSWORD
        ? { username: vars.BOOTSTRAP_ADMIN_USERNAME, password: vars.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    jwt: {
      issuer,
      audience: vars.JWT_AUDIENCE ?? 'urn:oie:api',
      accessTokenTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS ?? 600,
      signingKeyPem: vars.JWT_SIGNING_KEY,
      principalCacheSeconds: vars.PRINCIPAL_CACHE_SECONDS ?? 30,
    },
    auditSigningKeyPem: vars.AUDIT_SIGNING_KEY,
    dataEncryptionKey: vars.DATA_ENCRYPTION_KEY,
    dataKeyring,
    blindIndexKey: vars.BLIND_INDEX_KEY ? Buffer.from(vars.BLIND_INDEX_KEY, 'base64') : undefined,
    auditSealIntervalMs: vars.AUDIT_SEAL_INTERVAL_MS ?? 1000,
    auditLogOrigin: vars.AUDIT_LOG_ORIGIN ?? defaultOrigin(issuer),
    auditWitnesses: witnesses,
    auditWitnessQuorum: vars.AUDIT_WITNESS_QUORUM ?? witnesses.length,
    bodyLimit: vars.BODY_LIMIT ?? '256kb',
    importBodyLimit: vars.IMPORT_BODY_LIMIT ?? '10mb',
    loginMaxFailures: vars.LOGIN_MAX_FAILURES ?? 5,
    redisUrl: vars.REDIS_URL,
    schedulerEnabled: vars.SCHEDULER_ENABLED ?? true,
    console: { secureCookie: vars.CONSOLE_SECURE_COOKIE ?? true, idleTimeoutSeconds: vars.CONSOLE_IDLE_TIMEOUT_SECONDS ?? 900, absoluteTimeoutSeconds: 8 * 3600 },
    rateLimits: {
      authPerMinute: vars.RATE_LIMIT_AUTH_PER_MINUTE ?? 30,
      requestsPerMinute: vars.RATE_LIMIT_REQUESTS_PER_MINUTE ?? 120,
    },
    trustProxy:
      vars.TRUST_PROXY === undefined || vars.TRUST_PROXY === 'false'
        ? false
        : vars.TRUST_PROXY === 'true'
          ? true
          : /^\d+$/.test(vars.TRUST_PROXY)
            ? Number(vars.TRUST_PROXY)
            : vars.TRUST_PROXY,
    metricsToken: vars.METRICS_TOKEN,
    problemBaseUrl: vars.PROBLEM_BASE_URL,
    webhooks: {
      deliveryEnabled: vars.WEBHOOK_DELIVERY_ENABLED ?? true,
      allowedHosts: (vars.WEBHOOK_ALLOWED_HOSTS ?? '')
        .split(',')
        .map((h) => h.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1'))
        .filter(Boolean),
      retryScheduleMs: vars.WEBHOOK_RETRY_SCHEDULE_MS ? vars.WEBHOOK_RETRY_SCHEDULE_MS.split(',').map(Number) : DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
      dispatchIntervalMs: vars.WEBHOOK_DISPATCH_INTERVAL_MS ?? 500,
      timeoutMs: vars.WEBHOOK_TIMEOUT_MS ?? 10_000,
    },
    policy: withPolicyDefaults(policyJson),
    measures: measuresJson,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export const DEFAULT_STATISTICS_MIN_CELL = 10;

/** What is wrong with the policy's plain settings (beyond its categories). Empty when it fits. */
export function checkPolicySettings(policy: { statisticsMinCell?: unknown }): string[] {
  const problems: string[] = [];
  const min = policy.statisticsMinCell;
  if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 1 || min > 1000))
    problems.push(`statisticsMinCell must be a whole number from 1 to 1000 (the smallest count statistics publish), not ${JSON.stringify(min)}`);
  return problems;
}

function withPolicyDefaults(policy: { statisticsMinCell?: number }): Policy {
  return { ...(policy as Policy), statisticsMinCell: policy.statisticsMinCell ?? DEFAULT_STATISTICS_MIN_CELL };
}
