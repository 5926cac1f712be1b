/**
 * Runs the standalone audit verifier the way someone without this repository would: the one file
 * copied alone into an empty folder with the export and the notes, run there with `node`, under
 * Node's permission model allowing reads of that folder only (so a require of anything outside
 * node: built-ins, or of any file beside it, fails). VERIFIER_NODE picks another node binary.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VERIFIER_SOURCE = join(__dirname, '..', '..', 'src', 'audit', 'standalone', 'verify-audit-log.js');
export const VERIFIER_NODE = process.env.VERIFIER_NODE || process.execPath;

export interface VerifierResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every `OK: …` and `FAILED: …` line. */
  lines: string[];
  /** The `FAILED: …` lines without the closing summary, without the prefix. */
  failed: string[];
  ok: boolean;
  /** From the closing `FAILED: first bad leaf index N`. */
  firstBadIndex?: number;
  /** From the closing `FAILED: first bad leaf index at or after N`. */
  firstBadAtOrAfter?: number;
  /** Tree sizes of notes whose root is not the root of the export's first N leaves. */
  rootMismatches: number[];
}

function permissionFlag(node: string): string {
  const v = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^v/, '');
  const [major, minor] = v.split('.').map(Number) as [number, number];
  return major > 22 || (major === 22 && minor >= 13) ? '--permission' : '--experimental-permission';
}
let flag: string | undefined;

export function parseVerifierOutput(status: number | null, stdout: string, stderr: string): VerifierResult {
  const lines = stdout.split('\n').filter((l) => l.startsWith('OK: ') || l.startsWith('FAILED: '));
  const failed = lines.filter((l) => l.startsWith('FAILED: ') && !l.startsWith('FAILED: first bad leaf index') && !/^FAILED: \d+ checks? failed$/.test(l)).map((l) => l.slice(8));
  const exact = /^FAILED: first bad leaf index (\d+)$/m.exec(stdout);
  const atOrAfter = /^FAILED: first bad leaf index at or after (\d+)$/m.exec(stdout);
  const rootMismatches = [...stdout.matchAll(/\(tree size (\d+)\): its root is not the root/g)].map((m) => Number(m[1]));
  return {
    status,
    stdout,
    stderr,
    lines,
    failed,
    ok: status === 0 && /^OK: all checks passed/m.test(stdout),
    firstBadIndex: exact ? Number(exact[1]) : undefined,
    firstBadAtOrAfter: atOrAfter ? Number(atOrAfter[1]) : undefined,
    rootMismatches,
  };
}

/** An empty temporary folder holding only verify-audit-log.js and whatever files a test writes. */
export class VerifierFolder {
  readonly dir = mkdtempSync(join(tmpdir(), 'oie-offline-verify-'));

  constructor() {
    copyFileSync(VERIFIER_SOURCE, join(this.dir, 'verify-audit-log.js'));
  }

  /** Writes a file into the folder; answers its name (relative to the folder). */
  write(name: string, content: string | Buffer): string {
    writeFileSync(join(this.dir, name), content);
    return name;
  }

  /** `node verify-audit-log.js …args` with the folder as the working directory and nothing else readable. */
  run(args: string[]): VerifierResult {
    flag ??= permissionFlag(VERIFIER_NODE);
    const res = spawnSync(VERIFIER_NODE, ['--disable-warning=ExperimentalWarning', '--disable-warning=SecurityWarning', flag, `--allow-fs-read=${this.dir}`, '--allow-worker', 'verify-audit-log.js', ...args], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (res.error) throw res.error;
    return parseVerifierOutput(res.status, res.stdout, res.stderr);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
