import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { resolve } from 'node:path';
import { EnvironmentVariables } from './env.schema';
import policyJson from './policy.json';
import measuresJson from './safeguard-measures.json';

export type Category = 'identity' | 'release' | 'residence' | 'supervision' | 'support_needs' | 'offense';
export type Purpose = 'reintegration_support' | 'welfare_coordination' | 'ordinance_program';
export type MeasureGroup = 'organizational' | 'human' | 'physical' | 'technical';

export interface Policy {
  categories: Category[];
  sensitiveCategories: Category[];
  purposes: Record<Purpose, { label: { ja: string; en: string }; categories: Category[]; requiresOrdinance: boolean }>;
  limits: {
    maxAccessWindowDays: number;
    defaultAccessWindowDays: number;
    maxRetrievals: number;
    defaultMaxRetrievals: number;
    pendingRequestExpiryDays: number;
    safeguardValidityDays: number;
  };
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
  /** How often the sealer adds new audit events to the Merkle log (at least every second by default). */
  auditSealIntervalMs: number;
  bodyLimit: string;
  importBodyLimit: string;
  loginMaxFailures: number;
  redisUrl?: string;
  schedulerEnabled: boolean;
  console: { secureCookie: boolean; idleTimeoutSeconds: number; absoluteTimeoutSeconds: number };
  rateLimits: { authPerMinute: number; requestsPerMinute: number };
  trustProxy: boolean | number | string;
  policy: Policy;
  measures: MeasureCatalogue;
}

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
    const shown = /PASSWORD|KEY|SECRET|URL/.test(e.property) ? '<hidden>' : JSON.stringify(raw[e.property] ?? '');
    return `Invalid environment variable ${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
  });
  if ((vars.BOOTSTRAP_ADMIN_USERNAME === undefined) !== (vars.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    lines.push('Invalid environment: BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD must be set together');
  }
  if (lines.length > 0) throw new ConfigError(lines);

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
      issuer: vars.JWT_ISSUER ?? 'urn:oie:exchange',
      audience: vars.JWT_AUDIENCE ?? 'urn:oie:api',
      accessTokenTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS ?? 600,
      signingKeyPem: vars.JWT_SIGNING_KEY,
      principalCacheSeconds: vars.PRINCIPAL_CACHE_SECONDS ?? 30,
    },
    auditSigningKeyPem: vars.AUDIT_SIGNING_KEY,
    dataEncryptionKey: vars.DATA_ENCRYPTION_KEY,
    auditSealIntervalMs: vars.AUDIT_SEAL_INTERVAL_MS ?? 1000,
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
    policy: policyJson as Policy,
    measures: measuresJson,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
