import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/**
 * The environment the service reads, exactly once, at start. Every variable is optional unless
 * marked; secrets have no defaults.
 */
export class EnvironmentVariables {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional() @IsString() @MinLength(1)
  DATA_DIR?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(65535)
  EMBEDDED_PG_PORT?: number;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  /** `json` (one JSON object a line) or `pretty` (for people); unset: pretty when standard output is a terminal, else JSON. */
  @IsOptional() @IsIn(['json', 'pretty'], { message: 'must be json or pretty (unset: pretty on a terminal, JSON otherwise)' })
  LOG_FORMAT?: 'json' | 'pretty';

  @IsOptional() @IsString() @Matches(/^[a-zA-Z0-9._-]{3,64}$/, { message: 'must be 3-64 letters, digits, dot, dash or underscore' })
  BOOTSTRAP_ADMIN_USERNAME?: string;

  @IsOptional() @IsString() @MinLength(12) @MaxLength(256)
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  @IsOptional() @IsString() @MinLength(1)
  JWT_ISSUER?: string;

  @IsOptional() @IsString() @MinLength(1)
  JWT_AUDIENCE?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(3600)
  ACCESS_TOKEN_TTL_SECONDS?: number;

  /** PEM (PKCS#8) of the ES256 signing key; generated into DATA_DIR when unset. */
  @IsOptional() @IsString() @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'must be a PKCS#8 PEM private key' })
  JWT_SIGNING_KEY?: string;

  /** Base64 of 32 random bytes: the AES-256-GCM key for TOTP and webhook secrets at rest; generated into DATA_DIR when unset. */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be base64 of 32 bytes (openssl rand -base64 32)' })
  DATA_ENCRYPTION_KEY?: string;

  /**
   * Key-encryption keys of release records' data keys: `id:base64key` entries (32 bytes each),
   * comma-separated; generated into DATA_DIR/keys/kek when unset. Checked in loadConfig.
   */
  @IsOptional() @IsString() @MaxLength(16384)
  DATA_KEYRING?: string;

  /** The id in DATA_KEYRING that wraps new data keys (may be left out when it holds one key). */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be a key id: 1-64 letters, digits, dot, dash or underscore' })
  DATA_KEYRING_ACTIVE?: string;

  /** Base64 of 32 random bytes: the HMAC key of the name + birth date blind index (never a KEK). Required with DATA_KEYRING. */
  @IsOptional() @IsString() @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'must be base64 of 32 bytes (openssl rand -base64 32)' })
  BLIND_INDEX_KEY?: string;

  /** PEM (PKCS#8) of the Ed25519 key that signs audit checkpoints; generated into DATA_DIR when unset. */
  @IsOptional() @IsString() @Matches(/-----BEGIN PRIVATE KEY-----/, { message: 'must be a PKCS#8 PEM private key' })
  AUDIT_SIGNING_KEY?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(60000)
  AUDIT_SEAL_INTERVAL_MS?: number;

  /**
   * The origin line of the log's checkpoints and the name of its note key (c2sp.org/tlog-checkpoint):
   * a schema-less URL, unique to this deployment. Default derived from JWT_ISSUER.
   */
  @IsOptional() @IsString() @Matches(/^[\x21-\x2a\x2c-\x7e]{1,255}$/, { message: 'must be 1-255 printable ASCII characters, no space or plus sign (e.g. exchange.example.jp/audit-log)' })
  AUDIT_LOG_ORIGIN?: string;

  /** Witnesses, separated by ";" or newlines: each `<verifier key> <URL prefix>`. */
  @IsOptional() @IsString() @MaxLength(8192)
  AUDIT_WITNESSES?: string;

  /** How many witnesses must have cosigned the newest checkpoint for POST /audit/verify to pass; default all. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(64)
  AUDIT_WITNESS_QUORUM?: number;

  @IsOptional() @IsString() @Matches(/^\d+(kb|mb)$/i, { message: 'must look like 1mb or 512kb' })
  BODY_LIMIT?: string;

  @IsOptional() @IsString() @Matches(/^\d+(kb|mb)$/i, { message: 'must look like 10mb' })
  IMPORT_BODY_LIMIT?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100)
  LOGIN_MAX_FAILURES?: number;

  @IsOptional() @IsString() @Matches(/^redis:\/\//, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  @IsOptional() @Transform(toBool) @IsBoolean()
  SCHEDULER_ENABLED?: boolean;

  /** Set to false only for local use over plain http: the console cookie then lacks `Secure`. */
  @IsOptional() @Transform(toBool) @IsBoolean()
  CONSOLE_SECURE_COOKIE?: boolean;

  @IsOptional() @Transform(toInt) @IsInt() @Min(60) @Max(86400)
  CONSOLE_IDLE_TIMEOUT_SECONDS?: number;

  /** Connections of the main pool per instance (detached audit writes have 4 of their own). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(2) @Max(200)
  DATABASE_POOL_SIZE?: number;

  /**
   * How long a checked access token's principal may be reused from memory (0 turns it off). Entries
   * are dropped at once on any principal change (LISTEN/NOTIFY) and never used while not listening.
   */
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(300)
  PRINCIPAL_CACHE_SECONDS?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100000)
  RATE_LIMIT_AUTH_PER_MINUTE?: number;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100000)
  RATE_LIMIT_REQUESTS_PER_MINUTE?: number;

  /** Express `trust proxy`: true/false, a hop count, or comma-separated loopback/linklocal/uniquelocal/IPs/CIDRs. */
  @IsOptional() @IsString()
  @Matches(/^(true|false|\d{1,2}|((loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-fA-F:.]+(\/\d{1,3})?))*))$/, {
    message: 'must be true, false, a hop count, or a list of loopback/linklocal/uniquelocal/IP/CIDR',
  })
  TRUST_PROXY?: string;

  /** Bearer token that `GET /metrics` requires when set (at least 16 characters). */
  @IsOptional() @IsString() @Matches(/^[\x21-\x7e]{16,256}$/, { message: 'must be 16-256 printable characters without spaces' })
  METRICS_TOKEN?: string;

  /** Whether this instance dispatches domain events to webhooks and works their deliveries (pg-boss). */
  @IsOptional() @Transform(toBool) @IsBoolean()
  WEBHOOK_DELIVERY_ENABLED?: boolean;

  /**
   * Hosts (names or IP addresses, comma-separated) that webhooks may reach although they are
   * private, loopback or link-local, and over plain http. For tests and closed networks only.
   */
  @IsOptional() @IsString()
  @Matches(/^\s*[A-Za-z0-9.:_\-[\]]{1,253}(\s*,\s*[A-Za-z0-9.:_\-[\]]{1,253})*\s*$/, { message: 'must be comma-separated host names or IP addresses' })
  WEBHOOK_ALLOWED_HOSTS?: string;

  /** Delays before each retry of a failed delivery, comma-separated milliseconds (1–20 of them). */
  @IsOptional() @IsString()
  @Matches(/^\d{1,9}(,\d{1,9}){0,19}$/, { message: 'must be 1-20 comma-separated millisecond delays' })
  WEBHOOK_RETRY_SCHEDULE_MS?: string;

  /** How often the dispatcher looks for undispatched events (milliseconds). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(50) @Max(60000)
  WEBHOOK_DISPATCH_INTERVAL_MS?: number;

  /** How long a delivery attempt may take before it counts as failed (milliseconds, at most 10 s). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(10000)
  WEBHOOK_TIMEOUT_MS?: number;

  /** Absolute base of problem `type` URIs, ending in `/problems/` of the public address; unset: the address each request reached. */
  @IsOptional() @IsString() @Matches(/^https?:\/\/[^\s?#]+\/$/, { message: 'must be an absolute http(s) URL ending in /' })
  PROBLEM_BASE_URL?: string;
}
