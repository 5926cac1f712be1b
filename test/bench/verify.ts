/*
 * Benchmark of the standalone offline verifier (src/audit/standalone/verify-audit-log.js).
 *
 *   npm run bench:verify -- [--sizes 1000000,10000000] [--runs 3] [--csv] [--data DIR] [--keep] [--workers N]
 *
 * Writes synthetic exports (test/bench/support/audit-export.ts: the service's own leaf and export
 * code, notes signed with a throwaway log key and cosigned by a throwaway witness), then runs the
 * verifier on each, as a child process, --runs times: the export, the checkpoint, a held note a
 * third of the way, the witness key. It measures the wall time from spawn to exit and reads the
 * verifier's own peak RSS (--stats). Exports are large (about 500 bytes an event as NDJSON, 320 as
 * CSV): --data DIR keeps them in DIR/<size>/ and reuses them on the next run; without it they go
 * in a scratch folder that is removed at the end (unless --keep). Prints a table and writes
 * bench-results/bench-verify.json. --runs 0 only writes the exports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { describeSpeed, MachineSpeed, machineSpeed } from './support/machine';
import { join } from 'node:path';
import { generateExport, GeneratedExport } from './support/audit-export';
import { fmtMs, log, now, removeDir, REPO_ROOT, scratchDir } from './support/util';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? '1000000').split(',').map(Number);
const RUNS = Number(arg('--runs') ?? 3);
const CSV = argv.includes('--csv');
const DATA = arg('--data');
const KEEP = argv.includes('--keep');
const WORKERS = arg('--workers');
if (SIZES.some((n) => !Number.isSafeInteger(n) || n < 100) || !Number.isSafeInteger(RUNS) || RUNS < 0) {
  process.stderr.write('usage: npm run bench:verify -- [--sizes 1000000,10000000] [--runs 3] [--csv] [--data DIR] [--keep] [--workers N]\n');
  process.exit(2);
}
const VERIFIER = join(REPO_ROOT, 'src', 'audit', 'standalone', 'verify-audit-log.js');

interface Run {
  format: 'ndjson' | 'csv';
  events: number;
  megabytes: number;
  wallMs: number;
  /** The verifier's own figure (from its start to its report). */
  verifierMs: number;
  peakRssMb: number;
  eventsPerSecond: number;
  loadAvg1mBefore: number;
  /** How fast this machine hashed just before the run (support/machine.ts). */
  speed: MachineSpeed;
}

/** The export for a size: from DIR/<size> when it is there, else written now. */
function exportFor(size: number, root: string): GeneratedExport {
  const dir = join(root, String(size));
  const meta = join(dir, 'export.json');
  if (existsSync(meta)) {
    const g = JSON.parse(readFileSync(meta, 'utf8')) as GeneratedExport;
    if (!CSV || g.csv) {
      log(`reusing the export of ${size.toLocaleString()} events in ${dir}`);
      return g;
    }
  }
  mkdirSync(dir, { recursive: true });
  log(`writing ${size.toLocaleString()} events${CSV ? ' (NDJSON and CSV)' : ''} to ${dir}`);
  const t0 = now();
  let reported = 0;
  const g = generateExport(dir, size, {
    csv: CSV,
    onProgress: (done) => {
      if (done - reported < 1_000_000) return;
      reported = done;
      log(`  ${done.toLocaleString()} written (${fmtMs(now() - t0)})`);
    },
  });
  log(`  done in ${fmtMs(now() - t0)}`);
  writeFileSync(meta, JSON.stringify(g, null, 2));
  return g;
}

function runOnce(g: GeneratedExport, format: 'ndjson' | 'csv'): Run {
  const file = format === 'csv' ? g.csv! : g.ndjson;
  const args = [VERIFIER, '--export', file, '--checkpoint', g.checkpoint, '--held', g.held, '--log-key', g.logKey, '--witness', g.witnessKey, '--stats'];
  if (WORKERS !== undefined) args.push('--workers', WORKERS);
  const loadAvg1mBefore = Math.round(loadavg()[0]! * 100) / 100;
  const speed = machineSpeed();
  const t0 = now();
  const res = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  const wallMs = now() - t0;
  if (res.status !== 0) throw new Error(`the verifier failed (${res.status}):\n${res.stdout}${res.stderr}`);
  const stats = /^stats: (\d+) events in ([\d.]+) s .*peak RSS (\d+) MB/m.exec(res.stdout);
  if (!stats || Number(stats[1]) !== g.events) throw new Error(`no stats line for ${g.events} events:\n${res.stdout}`);
  const megabytes = Math.round(statSync(file).size / 1e6);
  return {
    format,
    events: g.events,
    megabytes,
    wallMs: Math.round(wallMs),
    verifierMs: Math.round(Number(stats[2]) * 1000),
    peakRssMb: Number(stats[3]),
    eventsPerSecond: Math.round(g.events / (wallMs / 1000)),
    loadAvg1mBefore,
    speed,
  };
}

function main(): void {
  const root = DATA ?? scratchDir('oie-bench-verify');
  const runs: Run[] = [];
  try {
    for (const size of SIZES) {
      const g = exportFor(size, root);
      for (const format of CSV ? (['ndjson', 'csv'] as const) : (['ndjson'] as const)) {
        for (let i = 0; i < RUNS; i++) {
          const r = runOnce(g, format);
          runs.push(r);
          log(`  ${format} ${size.toLocaleString()} events (${r.megabytes} MB): ${fmtMs(r.wallMs)} wall, peak RSS ${r.peakRssMb} MB, load ${r.loadAvg1mBefore}; before it, ${describeSpeed(r.speed)}`);
        }
      }
    }
  } finally {
    if (!DATA && !KEEP) removeDir(root);
    else log(`exports kept in ${root}`);
  }
  if (RUNS === 0) return;
  const lines = [
    '',
    `standalone verifier, node ${process.version}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, workers ${WORKERS ?? 'default'}`,
    'format  events        MB     wall (each run)                 peak RSS    load avg before   SHA-256 of 500 B before (ns)',
    ...SIZES.flatMap((size) =>
      (CSV ? ['ndjson', 'csv'] : ['ndjson']).map((format) => {
        const rs = runs.filter((r) => r.events === size && r.format === format);
        return `${format.padEnd(7)} ${size.toLocaleString().padEnd(13)} ${String(rs[0]!.megabytes).padEnd(6)} ${rs.map((r) => fmtMs(r.wallMs)).join(', ').padEnd(31)} ${rs.map((r) => r.peakRssMb).join('/')} MB   ${rs.map((r) => r.loadAvg1mBefore).join(', ').padEnd(17)} ${rs.map((r) => r.speed.sha256Leaf500Ns).join(', ')}`;
      }),
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(join(REPO_ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(REPO_ROOT, 'bench-results', 'bench-verify.json'), JSON.stringify({ node: process.version, cores: cpus().length, runs }, null, 2));
}

main();
