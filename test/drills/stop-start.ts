/*
 * Drill f: start and stop the way operators and process managers do, on one embedded-PostgreSQL
 * DATA_DIR, with the README's own command lines:
 *
 *   f0  `npm start` at a terminal (a pseudo-terminal from `script`): readable log lines, no Nest
 *       route chatter, the administrator warning and the ready line; Ctrl-C (SIGINT to npm's
 *       process group) with an upload in flight: answered, stopped in order, exit 0.
 *   f1  `npm start` (output not a terminal: JSON lines): SIGTERM to the npm process alone with
 *       requests in flight (an upload whose body is still arriving, argon2 token requests): every
 *       one answered 200, new connections meanwhile 503 shutting-down with Connection: close, the
 *       `stopped on SIGTERM` line, exit status 0, nothing left running.
 *   f2  the same after a restart with nothing changed, with a second SIGTERM 30 ms after the first.
 *   f3  two more restarts with nothing changed: nothing recompiled; how long until ready; the last
 *       stopped by SIGTERM to the whole process group (npm and the service): exit 0 all the same.
 *   f4  the systemd unit in README.md: `systemd-analyze verify`, then its ExecStart line stopped as
 *       KillMode says (mixed: SIGTERM to the main process alone), as in f1.
 *   f5  the container in README.md: its ENTRYPOINT + CMD (tini when installed) stopped by SIGTERM
 *       to that process alone, as `docker stop` does, as in f1.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { ClientRequest, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Api } from '../bench/support/http';
import {
  adminToken,
  ClientCreds,
  createClient,
  createOrg,
  municipalityCatalogue,
} from '../bench/support/seed';
import { baseEnv, ServiceProcess } from '../bench/support/service';
import {
  descendantsOf,
  fmtMs,
  log,
  now,
  processGroupMembers,
  removeDir,
  REPO_ROOT,
  scratchDir,
  sleep,
} from '../bench/support/util';

type Check = (drill: string, name: string, pass: boolean, detail?: string) => boolean;

// ------------------------------------------------------------------------ raw HTTP

interface Answer {
  status?: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: string;
}

/** One request on a connection of its own; `hold` sends the body itself (the headers announce all of it). */
function send(
  port: number,
  method: string,
  path: string,
  opts: { body?: string; hold?: (req: ClientRequest) => void } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = {};
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(opts.body);
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
      res.on('error', (e: NodeJS.ErrnoException) =>
        resolve({ headers: res.headers, body, error: e.code ?? e.message }),
      );
    });
    req.setTimeout(60_000, () => req.destroy(new Error('TIMEOUT')));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve({ headers: {}, body: '', error: e.code ?? e.message }),
    );
    if (opts.hold) opts.hold(req);
    else req.end(opts.body);
  });
}

const isShuttingDown = (a: Answer) =>
  a.status === 503 &&
  a.headers.connection === 'close' &&
  a.headers['retry-after'] !== undefined &&
  /\/problems\/shutting-down"/.test(a.body);

function tally(answers: Answer[]): string {
  const by = new Map<string, number>();
  for (const a of answers) {
    const k = a.error ?? `${a.status}${a.status === 503 && isShuttingDown(a) ? ' shutting-down' : ''}`;
    by.set(k, (by.get(k) ?? 0) + 1);
  }
  return [...by.entries()].map(([k, n]) => `${k} ×${n}`).join(', ');
}

// ------------------------------------------------------------------------ README command lines

function readmeBlocks(lang: string): string[] {
  const text = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return [...text.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))].map((m) => m[1]!);
}

/** `node` (or /usr/bin/node) stands for the node running this drill, so CI's version is the one tested. */
function mapNode(argv: string[]): string[] {
  return argv.map((a, i) => (i === argv.findIndex((x) => /(^|\/)node$/.test(x)) ? process.execPath : a));
}

function assignments(line: string, into: Record<string, string>): void {
  for (const a of line.trim().split(/\s+/)) {
    const i = a.indexOf('=');
    if (i > 0) into[a.slice(0, i)] = a.slice(i + 1);
  }
}

interface Unit {
  text: string;
  execStart: string[];
  env: Record<string, string>;
  killMode: string;
  timeoutStopMs: number;
}

function systemdUnit(): Unit {
  const text = readmeBlocks('ini').find((b) => /^\[Service\]/m.test(b));
  if (!text) throw new Error('README.md has no systemd unit (an ```ini block with [Service])');
  const values = (key: string) =>
    [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());
  const env: Record<string, string> = {};
  for (const line of values('Environment')) assignments(line, env);
  return {
    text,
    execStart: values('ExecStart')[0]!.split(/\s+/),
    env,
    killMode: values('KillMode')[0] ?? 'control-group',
    timeoutStopMs: Number(values('TimeoutStopSec')[0] ?? 90) * 1000,
  };
}

function containerCommand(): { argv: string[]; env: Record<string, string> } {
  const text = readmeBlocks('dockerfile')[0];
  if (!text) throw new Error('README.md has no Dockerfile (a ```dockerfile block)');
  const exec = (key: string): string[] => {
    const m = new RegExp(`^${key}\\s+(\\[.*\\])\\s*$`, 'm').exec(text);
    if (m) return JSON.parse(m[1]!) as string[];
    if (new RegExp(`^${key}\\s`, 'm').test(text))
      throw new Error(`${key} is not in exec form (a JSON array)`);
    return [];
  };
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^ENV\s+(.*)$/gm)) assignments(m[1]!, env);
  return { argv: [...exec('ENTRYPOINT'), ...exec('CMD')], env };
}

// ------------------------------------------------------------------------ the drill

function readPostmasterPid(dataDir: string): number {
  try {
    return Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function drillF(check: Check, opts: { keep: boolean }): Promise<void> {
  const scratch = scratchDir('oie-drill-f');
  const dataDir = join(scratch, 'data');
  const logFile = join(scratch, 'service.log');
  const env = { ...baseEnv(), LOG_LEVEL: 'info' };
  const stamp = join(REPO_ROOT, 'dist', '.sources.sha256');
  const stampMtime = () => (existsSync(stamp) ? statSync(stamp).mtimeMs : -1);
  const builtAt = stampMtime();
  const compiled = (svc: ServiceProcess) => svc.grep(/was not built from these sources: compiling/).length > 0;

  // f0: at a terminal, with no administrator configured.
  if (spawnSync('script', ['--version']).status === 0) {
    const f0 = await ServiceProcess.start({
      name: 'npm start at a terminal',
      dataDir,
      env: {},
      logFile,
      // As an interactive shell runs it: npm in a process group of its own, the terminal's foreground one.
      command: ['script', '-qfec', 'exec npm start', '/dev/null'],
    });
    // Lines as a person sees them: without colours, from the first log line to the ready line.
    const lines = f0.lines.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, ''));
    const first = lines.findIndex((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] [A-Z]+:/.test(l));
    const ready = lines.findIndex((l) => /ready on port \d+ in \d+ ms \(embedded PostgreSQL in /.test(l));
    const shown = first >= 0 && ready >= first ? lines.slice(first, ready + 1) : [];
    const json = lines.filter((l) => l.trim().startsWith('{'));
    const chatter = lines.filter((l) =>
      /Mapped \{|dependencies initialized|RoutesResolver|Nest application/.test(l),
    );
    check(
      'f0',
      'at a terminal the log is readable: no JSON, no route lines, the administrator warning and the ready line stand out',
      shown.length > 0 &&
        json.length === 0 &&
        chatter.length === 0 &&
        shown.some((l) =>
          /WARN: \[AuthService\] no administrator exists: set BOOTSTRAP_ADMIN_USERNAME/.test(l),
        ) &&
        shown.some((l) => /INFO: \[Database\] (applied \d+ migration|schema up to date)/.test(l)) &&
        shown.length <= 8,
      `${shown.length} lines up to ready:${shown.map((l) => `\n         | ${l}`).join('')}` +
        (json.length ? `; JSON lines ${json.length}` : '') +
        (chatter.length ? `; Nest chatter ${chatter.length}` : ''),
    );
    // Ctrl-C: the terminal sends SIGINT to its foreground process group, npm's (npm and the
    // service; the embedded PostgreSQL runs in a group of its own), with an upload still arriving.
    const npm = descendantsOf(f0.pid).find((p) => /^npm start/.test(p.cmd));
    const postmaster = readPostmasterPid(dataDir);
    const bogus = 'grant_type=client_credentials&client_id=nobody&client_secret=nothing';
    let finish!: () => void;
    const upload = send(f0.port, 'POST', '/api/v1/auth/token', {
      body: bogus,
      hold: (req) => {
        req.write(bogus.slice(0, 20));
        finish = () => req.end(bogus.slice(20));
      },
    });
    await sleep(300);
    const t = now();
    if (npm) process.kill(-npm.pid, 'SIGINT');
    await sleep(300);
    finish();
    const exit = await Promise.race([f0.exited(), sleep(30_000).then(() => null)]);
    if (!exit) {
      for (const p of descendantsOf(f0.pid)) killQuietly(p.pid);
      f0.killGroupSync();
    }
    const up = await upload;
    await sleep(200);
    check(
      'f0',
      'Ctrl-C at the terminal (SIGINT to npm and the service): the upload in flight is answered, the database still there; stopped in order, exit 0, nothing left',
      !!npm &&
        exit?.code === 0 &&
        f0.grep(/stopped on SIGINT/).length === 1 &&
        up.status === 401 &&
        !processAlive(postmaster),
      `npm ${npm ? `pid ${npm.pid}` : 'not found under script'}; the upload (an unknown client): ${up.status ?? up.error}; ` +
        `exit ${exit ? `${exit.code}/${exit.signal}` : 'none within 30 s'} ${fmtMs(now() - t)} after SIGINT; postmaster ${processAlive(postmaster) ? 'alive' : 'gone'}`,
    );
  } else {
    log('  f0: skipped: `script` (util-linux) is not installed, so there is no terminal to run at');
  }

  // f1: `npm start`, JSON lines, the bootstrap administrator.
  let svc = await ServiceProcess.start({
    name: 'npm start',
    dataDir,
    env,
    logFile,
    command: ['npm', 'start'],
  });
  const port = svc.port;
  const serviceLines = svc.lines.filter((l) => l.trim() && !l.startsWith('>'));
  const notJson = serviceLines.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  const chatter = svc.grep(
    /"context":"(RouterExplorer|RoutesResolver|InstanceLoader|NestFactory|NestApplication)"/,
  );
  check(
    'f1',
    'not at a terminal every log line is JSON; Nest route lines are below info; the ready line says where the database is',
    notJson.length === 0 &&
      chatter.length === 0 &&
      svc.grep(/"msg":"ready on port \d+ in \d+ ms \(embedded PostgreSQL in [^"]+\)"/).length === 1 &&
      svc.grep(/"msg":"created the bootstrap administrator/).length === 1,
    `${serviceLines.length} lines up to ready; not JSON ${notJson.length}${notJson.length ? ` (e.g. ${notJson[0]!.slice(0, 120)})` : ''}; Nest chatter at info ${chatter.length}`,
  );
  const api = new Api(svc.base);
  const admin = await adminToken(api);
  const muni = municipalityCatalogue(1)[0]!;
  const org = await createOrg(api, admin, {
    kind: 'municipality',
    name: muni.name,
    localGovernmentCode: muni.code,
  });
  const creds = await createClient(api, admin, org.id, 'drill f');
  await stopInFlight(check, 'f1', svc, creds, { label: 'npm start', target: svc.pid, dataDir });

  // f2, f3: restarts with nothing changed. The last one is stopped by SIGTERM to the whole process
  // group (npm and the service both get it: npm passes its own on, the second one is ignored).
  const restarts: number[] = [];
  const problems: string[] = [];
  let groupStop = '';
  for (let i = 0; i < 3; i++) {
    svc = await ServiceProcess.start({
      name: 'npm start',
      dataDir,
      env,
      logFile,
      port,
      command: ['npm', 'start'],
      readyPollMs: 20,
    });
    restarts.push(svc.readyMs);
    if (compiled(svc)) problems.push(`restart ${i + 1} compiled`);
    if (i === 0) {
      await stopInFlight(check, 'f2', svc, creds, {
        label: 'npm start',
        target: svc.pid,
        dataDir,
        secondSignalAfterMs: 30,
      });
      continue;
    }
    const postmaster = readPostmasterPid(dataDir);
    let exit;
    if (i === 2) {
      process.kill(-svc.pid, 'SIGTERM');
      exit = await Promise.race([svc.exited(), sleep(30_000).then(() => svc.stop('SIGKILL'))]);
    } else exit = await svc.stop('SIGTERM', 30_000);
    await sleep(200);
    const stopped = svc.grep(/stopped on SIGTERM/).length === 1;
    if (exit.code !== 0 || !stopped || processAlive(postmaster))
      problems.push(
        `restart ${i + 1}: exit ${exit.code}/${exit.signal}, stopped line ${stopped}, postmaster ${processAlive(postmaster) ? 'alive' : 'gone'}`,
      );
    if (i === 2) groupStop = `exit ${exit.code}/${exit.signal}`;
  }
  check(
    'f3',
    'restarts with nothing changed compile nothing (dist/ fingerprint untouched) and stop with 0, the last on SIGTERM to the whole process group',
    problems.length === 0 && stampMtime() === builtAt,
    `ready ${restarts.map((ms) => fmtMs(ms)).join(', ')} after \`npm start\`; group SIGTERM: ${groupStop}${problems.length ? `; ${problems.join('; ')}` : ''}`,
  );

  // f4: the systemd unit.
  const unit = systemdUnit();
  if (spawnSync('systemd-analyze', ['--version']).status === 0) {
    const unitFile = join(scratch, 'oie.service');
    writeFileSync(unitFile, unit.text);
    const verify = spawnSync('systemd-analyze', ['verify', unitFile], { encoding: 'utf8' });
    check(
      'f4',
      'systemd-analyze verify accepts the unit in README.md',
      verify.status === 0 && !verify.stderr.includes('oie.service'),
      `status ${verify.status}${verify.stderr.trim() ? `: ${verify.stderr.trim().slice(0, 400)}` : ''}`,
    );
  } else {
    log('  f4: systemd-analyze is not installed: the unit is not verified, only its ExecStart run');
  }
  check(
    'f4',
    'the unit signals the service alone (KillMode=mixed) and runs node directly',
    unit.killMode === 'mixed' && /(^|\/)node$/.test(unit.execStart[0]!),
    `KillMode=${unit.killMode}, ExecStart=${unit.execStart.join(' ')}`,
  );
  svc = await ServiceProcess.start({
    name: 'systemd ExecStart',
    dataDir,
    // The unit's environment; DATA_DIR and PORT are this drill's.
    env: { ...env, ...unit.env },
    logFile,
    port,
    command: mapNode(unit.execStart),
  });
  await stopInFlight(check, 'f4', svc, creds, {
    label: `ExecStart (${unit.execStart.join(' ')})`,
    target: svc.pid,
    dataDir,
    timeoutMs: unit.timeoutStopMs,
  });

  // f5: the container's ENTRYPOINT + CMD.
  const container = containerCommand();
  let argv = mapNode(container.argv);
  const tini = argv.findIndex((a) => /(^|\/)tini$/.test(a));
  let note = '';
  if (tini >= 0 && !existsSync(argv[tini]!)) {
    note = ' (tini is not installed here: ran CMD without it)';
    argv = argv.slice(argv.indexOf('--') + 1);
  }
  svc = await ServiceProcess.start({
    name: 'container',
    dataDir,
    // The image's ENV; DATA_DIR and PORT are this drill's. Not process 1 here: ask tini to reap as it would.
    env: { ...env, ...container.env, TINI_SUBREAPER: '1' },
    logFile,
    port,
    command: argv,
  });
  await stopInFlight(check, 'f5', svc, creds, {
    label: `ENTRYPOINT + CMD (${container.argv.join(' ')})${note}`,
    target: svc.pid,
    dataDir,
  });

  if (!opts.keep) removeDir(scratch);
}

/**
 * Puts requests in flight, sends SIGTERM to `target` alone (and once more after
 * `secondSignalAfterMs`), asks for more on new connections while it stops, then checks answers,
 * log lines, exit status and what is left.
 */
async function stopInFlight(
  check: Check,
  drill: string,
  svc: ServiceProcess,
  creds: ClientCreds,
  o: { label: string; target: number; dataDir: string; secondSignalAfterMs?: number; timeoutMs?: number },
): Promise<void> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: creds.clientId,
    client_secret: creds.clientSecret,
  }).toString();
  const port = svc.port;
  const pgid = svc.pid;
  const postmasterPid = readPostmasterPid(o.dataDir);

  // In flight: uploads whose bodies are still arriving (their rest goes out after the signal), and
  // token requests (an argon2 verification each, ~90 ms, four at a time).
  const finish: (() => void)[] = [];
  const uploads = Array.from({ length: 4 }, () =>
    send(port, 'POST', '/api/v1/auth/token', {
      body: form,
      hold: (req) => {
        req.write(form.slice(0, 20));
        finish.push(() => req.end(form.slice(20)));
      },
    }),
  );
  await sleep(200);
  const tokens = Array.from({ length: 12 }, () => send(port, 'POST', '/api/v1/auth/token', { body: form }));
  await sleep(100);

  const sent = now();
  process.kill(o.target, 'SIGTERM');
  if (o.secondSignalAfterMs !== undefined)
    setTimeout(() => {
      try {
        process.kill(o.target, 'SIGTERM');
      } catch {
        // already gone
      }
    }, o.secondSignalAfterMs);
  // New connections while it stops, then the rest of the upload.
  const probes: Promise<Answer>[] = [];
  for (const at of [60, 250, 500]) {
    await sleep(at - (now() - sent));
    probes.push(send(port, 'GET', '/health/ready'));
  }
  await sleep(800 - (now() - sent));
  for (const f of finish) f();

  const timeoutMs = o.timeoutMs ?? 60_000;
  const exit = await Promise.race([svc.exited(), sleep(timeoutMs).then(() => null)]);
  const exitedAfter = now() - sent;
  if (!exit) svc.killGroupSync();
  const after = await send(port, 'GET', '/health/live');
  const ups = await Promise.all(uploads);
  const toks = await Promise.all(tokens);
  const probed = await Promise.all(probes);
  const answers = [...ups, ...toks];

  check(
    drill,
    `${o.label}: SIGTERM to that process alone: it exits with status 0`,
    exit !== null && exit.code === 0 && exit.signal === null,
    exit
      ? `exit code ${exit.code}, signal ${exit.signal}, ${fmtMs(exitedAfter)} after SIGTERM`
      : `still running ${fmtMs(timeoutMs)} after SIGTERM`,
  );
  const takenLine = svc.grep(/stopping on SIGTERM: finishing \d+ request/);
  const taken = Number(/finishing (\d+) request/.exec(takenLine[0] ?? '')?.[1] ?? -1);
  const ok = answers.filter((a) => a.status === 200);
  check(
    drill,
    'every request in flight is answered 200 (uploads finished after the signal included); later ones 503 shutting-down; none reset',
    ups.every((a) => a.status === 200) &&
      taken >= ups.length &&
      ok.length >= taken &&
      answers.every((a) => a.status === 200 || isShuttingDown(a)),
    `${taken} in flight at SIGTERM (the service's count); uploads ${tally(ups)}; token requests sent 100 ms before the signal ${tally(toks)}`,
  );
  check(
    drill,
    'new connections while stopping get 503 shutting-down with Connection: close and Retry-After',
    probed.every(isShuttingDown),
    `at 60, 250, 500 ms: ${tally(probed)}`,
  );
  const second = o.secondSignalAfterMs !== undefined;
  const ignored = svc.grep(/already stopping \(\d+ request\(s\) in flight\): SIGTERM ignored/).length;
  check(
    drill,
    `the log has one "stopping on SIGTERM" and one "stopped on SIGTERM"${second ? `; the second SIGTERM (${o.secondSignalAfterMs} ms later) is at most logged as ignored` : ''}`,
    takenLine.length === 1 &&
      svc.grep(/stopped on SIGTERM/).length === 1 &&
      (second ? ignored <= 1 : ignored === 0),
    `stopping ×${takenLine.length}, stopped ×${svc.grep(/stopped on SIGTERM/).length}, ignored ×${ignored}` +
      // A signal that comes while the same one is still pending is not queued (POSIX): when npm or
      // node is slow to run its handler, the two SIGTERMs reach the service as one.
      (second && ignored === 0
        ? ' (the two signals arrived as one: npm or node had not yet handled the first)'
        : ''),
  );
  await sleep(200);
  const left = processGroupMembers(pgid);
  const pgAlive = processAlive(postmasterPid);
  check(
    drill,
    'afterwards the port refuses connections and nothing is left running (embedded PostgreSQL stopped)',
    after.error === 'ECONNREFUSED' &&
      left.length === 0 &&
      !pgAlive &&
      !existsSync(join(o.dataDir, 'pg', 'postmaster.pid')),
    `after exit: ${after.error ?? after.status}; left in the process group: ${left.length ? left.map((p) => `${p.pid} ${p.cmd.slice(0, 80)}`).join('; ') : 'none'}; postmaster ${postmasterPid} ${pgAlive ? 'alive' : 'gone'}`,
  );
}
