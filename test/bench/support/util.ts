/* Small helpers shared by the benchmark (test/bench/run.ts) and the fault drills (test/drills/run.ts). */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root, found from this file (test/bench/support → ../../..). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function now(): number {
  return performance.now();
}

/** A scratch folder under the OS temp dir, mode 0755 so a `postgres` system user can traverse it. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

const handedOut = new Set<number>();

/** A TCP port free on every interface, never the same one twice in this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolvePort, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolvePort(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; answers the results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** A small deterministic PRNG (mulberry32) so seeded data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)]!;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** VmRSS and VmHWM (peak RSS) of a process, in kB, from /proc/<pid>/status (Linux). */
export function memoryOf(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+)/.exec(status);
    const hwm = /VmHWM:\s+(\d+)/.exec(status);
    return { rssKb: Number(rss?.[1] ?? NaN), hwmKb: Number(hwm?.[1] ?? NaN) };
  } catch {
    return null;
  }
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

export function log(msg: string): void {
  process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

// ------------------------------------------------------------------------ CPU accounting (Linux /proc)

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself, in ms. */
  ownMs: number;
  /** cutime + cstime: children it has waited for, in ms. */
  reapedMs: number;
}

function procStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const n = (i: number) => Number(f[i - 3]);
    return { pid, ppid: n(4), ownMs: (n(14) + n(15)) * TICK_MS, reapedMs: (n(16) + n(17)) * TICK_MS };
  } catch {
    return null;
  }
}

/**
 * CPU time used so far by a process's descendants (for the service: its embedded PostgreSQL, every
 * backend alive and every one that has exited), excluding the process itself.
 */
export function descendantsCpuMs(root: number): number {
  const all: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s) all.push(s);
  }
  const children = new Map<number, ProcStat[]>();
  for (const s of all) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  let total = 0;
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      total += c.ownMs + c.reapedMs;
      walk(c.pid);
    }
  };
  walk(root);
  return total;
}

/** Processes (pid and command line) whose process group is `pgid`. */
export function processGroupMembers(pgid: number): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) !== pgid || f[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      out.push({ pid: Number(name), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The descendants of a process (children first), with their command lines. */
export function descendantsOf(root: number): { pid: number; cmd: string }[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name));
    if (s) parent.set(s.pid, s.ppid);
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid) continue;
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' ').trim();
      } catch {
        // gone meanwhile
      }
      out.push({ pid: child, cmd });
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** CPU time of one process itself (all its threads), in ms. */
export function ownCpuMs(pid: number): number {
  return procStat(pid)?.ownMs ?? 0;
}

/** CPU time of this process's children that have exited and were waited for (e.g. pgbench), in ms. */
export function reapedChildrenCpuMs(): number {
  return procStat(process.pid)?.reapedMs ?? 0;
}
