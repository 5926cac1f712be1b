/*
 * The service as a child process: `node dist/src/main.js`, exactly as it runs in production, or
 * another command line that starts it (`npm start`, a unit's ExecStart, a container's CMD).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, memoryOf, REPO_ROOT, sleep } from './util';

export const MAIN_JS = join(REPO_ROOT, 'dist', 'src', 'main.js');

/** Variables the service reads; never inherited from the caller's shell, only set on purpose. */
const SERVICE_VARS = [
  'PORT',
  'DATABASE_URL',
  'DATA_DIR',
  'EMBEDDED_PG_PORT',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'BOOTSTRAP_ADMIN_USERNAME',
  'BOOTSTRAP_ADMIN_PASSWORD',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'ACCESS_TOKEN_TTL_SECONDS',
  'JWT_SIGNING_KEY',
  'AUDIT_SIGNING_KEY',
  'AUDIT_SEAL_INTERVAL_MS',
  'BODY_LIMIT',
  'IMPORT_BODY_LIMIT',
  'LOGIN_MAX_FAILURES',
  'REDIS_URL',
  'SCHEDULER_ENABLED',
  'RATE_LIMIT_AUTH_PER_MINUTE',
  'RATE_LIMIT_REQUESTS_PER_MINUTE',
  'TRUST_PROXY',
  'AUDIT_LOG_ORIGIN',
  'AUDIT_WITNESSES',
  'AUDIT_WITNESS_QUORUM',
  'DATA_KEYRING',
  'DATA_KEYRING_ACTIVE',
  'BLIND_INDEX_KEY',
  'METRICS_TOKEN',
  'PROBLEM_BASE_URL',
  'WEBHOOK_ALLOWED_HOSTS',
  'WEBHOOK_DELIVERY_ENABLED',
  'WEBHOOK_DISPATCH_INTERVAL_MS',
  'WEBHOOK_RETRY_SCHEDULE_MS',
  'WEBHOOK_TIMEOUT_MS',
];

export const BOOTSTRAP_ADMIN = { username: 'bench.admin', password: 'bench-admin-passphrase-0001' };

/** Settings every bench and drill instance shares: high rate limits, long tokens, a known admin. */
export function baseEnv(): Record<string, string> {
  return {
    LOG_LEVEL: 'warn',
    BOOTSTRAP_ADMIN_USERNAME: BOOTSTRAP_ADMIN.username,
    BOOTSTRAP_ADMIN_PASSWORD: BOOTSTRAP_ADMIN.password,
    RATE_LIMIT_AUTH_PER_MINUTE: '100000',
    RATE_LIMIT_REQUESTS_PER_MINUTE: '100000',
    ACCESS_TOKEN_TTL_SECONDS: '3600',
  };
}

export function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) {
    process.stderr.write('dist/src/main.js is missing: run `npm run build` first.\n');
    process.exit(2);
  }
}

const live = new Set<ServiceProcess>();
let hooksInstalled = false;
function installExitHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // Never leave a service (and its embedded PostgreSQL) behind when this script dies.
  process.on('exit', () => {
    for (const s of live) s.killGroupSync();
  });
}

export interface StartOptions {
  name: string;
  dataDir: string;
  env: Record<string, string>;
  port?: number;
  /** Where to copy every log line (the service's stdout and stderr). */
  logFile?: string;
  readyTimeoutMs?: number;
  /** Extra options for node itself (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** The command line to run instead of `node dist/src/main.js`, e.g. `['npm', 'start']`. */
  command?: string[];
  /** The working directory (default: the repository). */
  cwd?: string;
  /** How often to ask /health/ready while starting (default 150 ms). */
  readyPollMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export class ServiceProcess {
  readonly lines: string[] = [];
  private readonly maxLines = 20_000;
  private child!: ChildProcess;
  private logStream?: WriteStream;
  private exitPromise!: Promise<ExitInfo>;
  exitInfo?: ExitInfo;
  startedAt = 0;
  readyMs = 0;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Spawns the service and waits until GET /health/ready answers 200. */
  static async start(opts: StartOptions): Promise<ServiceProcess> {
    installExitHooks();
    const port = opts.port ?? (await freePort());
    const s = new ServiceProcess(opts.name, port, opts.dataDir);
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !SERVICE_VARS.includes(k)) env[k] = v;
    Object.assign(env, opts.env, { PORT: String(port), DATA_DIR: opts.dataDir });
    s.logStream = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : undefined;
    s.startedAt = performance.now();
    // Its own process group, so a crash drill can kill the service together with its embedded PostgreSQL.
    const [file, ...args] = opts.command ?? [process.execPath, ...(opts.nodeArgs ?? []), MAIN_JS];
    s.child = spawn(file!, args, {
      cwd: opts.cwd ?? REPO_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(s);
    for (const stream of [s.child.stdout!, s.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => s.push(line));
    }
    s.exitPromise = new Promise<ExitInfo>((resolve) => {
      s.child.on('exit', (code, signal) => {
        s.exitInfo = { code, signal, ms: performance.now() - s.startedAt };
        live.delete(s);
        resolve(s.exitInfo);
      });
    });
    await s.waitReady(opts.readyTimeoutMs ?? 120_000, opts.readyPollMs);
    return s;
  }

  private push(line: string) {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
    this.logStream?.write(line + '\n');
  }

  async waitReady(timeoutMs: number, pollMs = 150): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (!this.running)
        throw new Error(
          `${this.name} exited during start (code ${this.exitInfo?.code}, signal ${this.exitInfo?.signal}):\n${this.tail(15)}`,
        );
      try {
        const res = await fetch(`${this.base}/health/ready`, { signal: AbortSignal.timeout(3000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          this.readyMs = performance.now() - this.startedAt;
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(pollMs);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.tail(15)}`);
  }

  tail(n: number): string {
    return this.lines
      .slice(-n)
      .map((l) => `    | ${l}`)
      .join('\n');
  }

  /** Lines logged so far that match a pattern. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) process.kill(this.pid, sig);
  }

  /** Sends a signal and waits for the process to exit (SIGKILL after `timeoutMs`). */
  async stop(sig: NodeJS.Signals = 'SIGTERM', timeoutMs = 60_000): Promise<ExitInfo> {
    if (!this.running) return this.exitInfo!;
    const sentAt = performance.now();
    this.signal(sig);
    const timer = setTimeout(() => this.killGroupSync(), timeoutMs);
    const info = await this.exitPromise;
    clearTimeout(timer);
    this.logStream?.end();
    return { ...info, ms: performance.now() - sentAt };
  }

  /** kill -9 of the node process alone (as the OOM killer would do it); its embedded PostgreSQL survives. */
  async kill9(): Promise<ExitInfo> {
    this.signal('SIGKILL');
    return this.exitPromise;
  }

  /** kill -9 of the service's process group and of its embedded PostgreSQL (a crash of the host). */
  async kill9Group(): Promise<ExitInfo> {
    this.killGroupSync();
    return this.exitPromise;
  }

  /**
   * SIGKILL to the service's process group and to its embedded PostgreSQL, which runs in a process
   * group of its own (its postmaster.pid names it).
   */
  killGroupSync(): void {
    let postmaster = 0;
    try {
      postmaster = Number(readFileSync(join(this.dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      // no embedded PostgreSQL running
    }
    for (const target of [-this.pid, postmaster]) {
      if (!Number.isInteger(target) || target === 0) continue;
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  exited(): Promise<ExitInfo> {
    return this.exitPromise;
  }

  memory() {
    return memoryOf(this.pid);
  }

  /**
   * The URL of the embedded PostgreSQL (needs EMBEDDED_PG_PORT to have been set), through its Unix
   * socket when the service uses one (as the service itself connects), else TCP on 127.0.0.1.
   */
  embeddedDbUrl(pgPort: number): string {
    const password = readFileSync(join(this.dataDir, 'pg.password'), 'utf8').trim();
    const socketDir = join(this.dataDir, 'pg');
    const viaSocket = existsSync(join(socketDir, `.s.PGSQL.${pgPort}`));
    return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/postgres${viaSocket ? `?host=${encodeURIComponent(socketDir)}` : ''}`;
  }
}
