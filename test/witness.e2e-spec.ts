import { ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLogService } from '../src/audit/audit-log.service';
import { hashLeafEvent, LEAF_COLUMNS, LeafRow, toLeafEvent } from '../src/audit/leaf';
import { WitnessService } from '../src/audit/witness.service';
import { checkpointText, ed25519Raw, ed25519Signer, openNote, parseCheckpointText, parseNote, parseVerifierKey, SIG_ED25519, signNote, verifierKey } from '../src/audit/note';
import { createOrg, createStaff } from './support/factories';
import { parsePrometheusText } from './support/prometheus';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
const ORIGIN = 'exchange.test/audit-log';
const WITNESS_NAME = 'audit-office.test/w1';

interface RunningWitness {
  proc: ChildProcess;
  port: number;
  vkey: string;
  url: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs the witness command (src/witness/main.ts) as its own process and waits until it listens. */
async function startWitness(dataDir: string, logVkey: string, port = 0): Promise<RunningWitness> {
  const proc = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', 'src/witness/main.ts', '--data-dir', dataDir, '--name', WITNESS_NAME, '--port', String(port), '--log', logVkey],
    { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const deadline = Date.now() + 30_000;
  while (!/witness listening on http:\/\/127\.0\.0\.1:(\d+)/.test(out)) {
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`the witness did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const actualPort = Number(/witness listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)![1]);
  const vkey = /witness verifier key: (\S+)/.exec(out)![1]!;
  return {
    proc,
    port: actualPort,
    vkey,
    url: `http://127.0.0.1:${actualPort}`,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill(signal);
      }),
  };
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Makes n audit events (each auditor search is one) and seals them. */
async function populate(t: TestApp, auditor: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await t.http.get(`${API}/audit/events?limit=1`).set(bearer(auditor)).expect(200);
  await t.app.get(AuditLogService).sealNow();
}

describe('witnessed checkpoints (C2SP signed notes, tlog-witness)', () => {
  const logKey = generateKeyPairSync('ed25519').privateKey;
  const logPem = logKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const logVkey = verifierKey(ORIGIN, SIG_ED25519, ed25519Raw(logKey));
  const logSigner = ed25519Signer(ORIGIN, logKey);
  let witnessDir: string;
  let witness: RunningWitness;
  let t: TestApp;
  let admin: string;
  let auditor: string;

  const cosignedSize = async () => {
    const res = await fetch(`${witness.url}/checkpoint?origin=${encodeURIComponent(ORIGIN)}`);
    return res.status === 200 ? parseCheckpointText(parseNote(await res.text()).text).size : 0;
  };
  const verify = async (body: object = {}) => (await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).send(body).expect(200)).body;
  const waitCosigned = async () => {
    const size = (await t.app.get(AuditLogService).latestCheckpoint())!.treeSize;
    await until(`the witness to cosign ${size}`, async () => (await cosignedSize()) === size);
    return size;
  };

  beforeAll(async () => {
    witnessDir = mkdtempSync(join(tmpdir(), 'oie-witness-'));
    witness = await startWitness(witnessDir, logVkey);
    t = await createTestApp({
      AUDIT_SEAL_INTERVAL_MS: '60000',
      AUDIT_SIGNING_KEY: logPem,
      AUDIT_LOG_ORIGIN: ORIGIN,
      AUDIT_WITNESSES: `${witness.vkey} ${witness.url}`,
    });
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(admin))).body.items[0];
    auditor = (await createStaff(t, admin, ministry.id, ['auditor'])).token;
    await createOrg(t, admin, { kind: 'correctional_facility', name: '証人施設' });
    await populate(t, auditor, 60);
  });
  afterAll(async () => {
    await t?.close();
    await witness?.stop();
    rmSync(witnessDir, { recursive: true, force: true });
  });

  it('serves each checkpoint as a signed note, the public verifier key, and the witness cosignature', async () => {
    const vk = await t.http.get(`${API}/audit/verifier-key`).expect(200);
    expect(vk.headers['content-type']).toMatch(/^text\/plain/);
    expect(vk.text).toBe(`${logVkey}\n`);
    expect(vk.text).toMatch(/^exchange\.test\/audit-log\+[0-9a-f]{8}\+[A-Za-z0-9+/]{43}[A-Za-z0-9+/=]\n$/);

    const size = await waitCosigned();
    const json = (await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor)).expect(200)).body;
    const text = await t.http.get(`${API}/audit/checkpoints/latest.note`).set(bearer(auditor)).expect(200);
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.text).toBe(json.note);
    expect(json.note.startsWith(`${ORIGIN}\n${size}\n${json.rootHash}\n\n— ${ORIGIN} `)).toBe(true);
    const opened = openNote(json.note, [parseVerifierKey(logVkey), parseVerifierKey(witness.vkey)]);
    expect(opened.verified.map((s) => s.name)).toEqual([ORIGIN, WITNESS_NAME]);
    await t.http.get(`${API}/audit/checkpoints/latest.note`).expect(401);

    const report = await verify();
    expect(report).toMatchObject({ ok: true, treeSize: size, witnesses: { cosigned: [WITNESS_NAME], missing: [], quorum: 1 } });
    // A note held outside (here: the one just read) is checked against the log too.
    expect(await verify({ notes: [json.note] })).toMatchObject({ ok: true });
    await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).send({ notes: ['not a note'] }).expect(400);
  });

  it('a witness that is down delays nothing, shows its lag, fails the quorum, and catches up after a restart', async () => {
    const before = await waitCosigned();
    const firstKey = witness.vkey;
    await witness.stop('SIGKILL');
    await populate(t, auditor, 5);
    const submitter = t.app.get(WitnessService);
    submitter.kick();
    await until('the lag to show', async () => submitter.snapshot()[0]!.failures > 0);
    const lag = submitter.snapshot()[0]!;
    expect(lag).toMatchObject({ witness: WITNESS_NAME, cosignedSize: before });
    expect(lag.lagLeaves).toBeGreaterThan(0);
    expect(t.logs.filter((l) => l.includes('witness is falling behind'))).toHaveLength(1);
    const scraped = parsePrometheusText((await t.http.get('/metrics').expect(200)).text).samples;
    const lagGauge = scraped.find((x) => x.name === 'oie_audit_witness_lag_leaves' && x.labels.witness === WITNESS_NAME);
    expect(lagGauge?.value).toBe(lag.lagLeaves);
    const report = await verify();
    expect(report).toMatchObject({ ok: false, witnesses: { cosigned: [], missing: [WITNESS_NAME], quorum: 1 } });
    expect(report.reason).toContain('only 0 of the 1 required witnesses');

    witness = await startWitness(witnessDir, logVkey, witness.port);
    expect(witness.vkey).toBe(firstKey); // the same key after a restart, read from its own folder
    await until('the witness to catch up', async () => submitter.snapshot()[0]!.lagLeaves === 0 && submitter.snapshot()[0]!.failures === 0, 90_000);
    expect(t.logs.some((l) => l.includes('witness caught up'))).toBe(true);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('after a restart the witness still refuses a smaller, forked or inconsistent checkpoint, and says why by status', async () => {
    await waitCosigned();
    await witness.stop();
    witness = await startWitness(witnessDir, logVkey, witness.port);
    const size = await cosignedSize();
    expect(size).toBeGreaterThan(0);
    const post = (body: string) => fetch(`${witness.url}/add-checkpoint`, { method: 'POST', body });
    const forged = (n: number, root = Buffer.alloc(32, 7)) => signNote(checkpointText({ origin: ORIGIN, size: n, rootHash: root }), logSigner);

    // Old size other than the stored one: 409 with the stored size.
    const res = await post(`old 0\n\n${forged(size + 1)}`);
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await res.text()).toBe(`${size}\n`);
    // The same size with another root (a fork): 409.
    expect((await post(`old ${size}\n\n${forged(size)}`)).status).toBe(409);
    // A bigger tree without a valid consistency proof: 422.
    expect((await post(`old ${size}\n${Buffer.alloc(32, 1).toString('base64')}\n\n${forged(size + 10)}`)).status).toBe(422);
    // A smaller tree: old > size is malformed.
    expect((await post(`old ${size}\n\n${forged(size - 1)}`)).status).toBe(400);
    // Not signed by the log: 403. Unknown log: 404. Garbage: 400.
    const stranger = ed25519Signer(ORIGIN, generateKeyPairSync('ed25519').privateKey);
    expect((await post(`old ${size}\n\n${signNote(checkpointText({ origin: ORIGIN, size: size + 1, rootHash: Buffer.alloc(32) }), stranger)}`)).status).toBe(403);
    expect((await post(`old 0\n\n${signNote(checkpointText({ origin: 'other.test/log', size: 1, rootHash: Buffer.alloc(32) }), logSigner)}`)).status).toBe(404);
    expect((await post('hello')).status).toBe(400);
    expect(await cosignedSize()).toBe(size);
    // The service's own next checkpoint still goes through (with a real proof).
    await populate(t, auditor, 3);
    await waitCosigned();
  });

  it('counts the stored cosignature of the newest checkpoint while the witness is down, also past a power of ten', async () => {
    // Cosigned checkpoints on both sides of the next power of ten (as text, '99' sorts after '100').
    let below = await waitCosigned();
    const ten = 10 ** String(below + 1).length;
    if (ten - below > 1) {
      await populate(t, auditor, ten - below - 1);
      below = await waitCosigned();
    }
    await populate(t, auditor, 2);
    const above = await waitCosigned();
    expect(String(below).length).toBeLessThan(String(above).length);
    await witness.stop('SIGKILL');
    try {
      expect(await verify()).toMatchObject({ ok: true, treeSize: above, witnesses: { cosigned: [WITNESS_NAME], missing: [], quorum: 1 } });
    } finally {
      witness = await startWitness(witnessDir, logVkey, witness.port);
    }
  });

  it('finds a truncated tail through the witness (last 43 events and the checkpoints covering them deleted)', async () => {
    await t.app.get(AuditLogService).sealNow();
    const cut = (await t.app.get(AuditLogService).latestCheckpoint())!.treeSize;
    await populate(t, auditor, 43);
    const size = await waitCosigned();
    expect(size - cut).toBe(43);
    await superuserTamper(t, async () => {
      await t.db.query(`DELETE FROM audit_events WHERE leaf_index >= $1`, [cut]);
      await t.db.query(`DELETE FROM audit_checkpoints WHERE tree_size > $1`, [cut]);
      await t.db.query(`DELETE FROM audit_cosignatures WHERE tree_size > $1`, [cut]);
    });
    const report = await verify();
    expect(report).toMatchObject({ ok: false, firstBadIndex: cut, badCheckpoint: size });
    expect(report.reason).toMatch(/witness audit-office\.test\/w1.*larger than the log/);
  });
});

describe('a rewritten history that the database alone would not show', () => {
  it('is found through the witness: old event rewritten and rehashed, checkpoints from there deleted and re-sealed', async () => {
    const logKey = generateKeyPairSync('ed25519').privateKey;
    const logPem = logKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const logVkey = verifierKey(ORIGIN, SIG_ED25519, ed25519Raw(logKey));
    const dir = mkdtempSync(join(tmpdir(), 'oie-witness-'));
    const witness = await startWitness(dir, logVkey);
    const env = { AUDIT_SEAL_INTERVAL_MS: '60000', AUDIT_SIGNING_KEY: logPem, AUDIT_LOG_ORIGIN: ORIGIN, AUDIT_WITNESSES: `${witness.vkey} ${witness.url}` };
    const a = await createTestApp(env);
    let b: TestApp | undefined;
    try {
      const admin = (await signIn(a, ADMIN.username, ADMIN.password)).token;
      const ministry = (await a.http.get(`${API}/organizations?kind=ministry`).set(bearer(admin))).body.items[0];
      const auditor = (await createStaff(a, admin, ministry.id, ['auditor'])).token;
      await populate(a, auditor, 30);
      const size = (await a.app.get(AuditLogService).latestCheckpoint())!.treeSize;
      await until('the witness to cosign', async () => {
        const res = await fetch(`${witness.url}/checkpoint?origin=${encodeURIComponent(ORIGIN)}`);
        return res.status === 200 && parseCheckpointText(parseNote(await res.text()).text).size === size;
      });
      // The insider rewrites event 5, gives it a matching hash, and removes every checkpoint after it.
      await superuserTamper(a, async () => {
        await a.db.query(`UPDATE audit_events SET outcome = 'failure' WHERE leaf_index = 5`);
        const [row] = (await a.db.query(`SELECT ${LEAF_COLUMNS} FROM audit_events a WHERE a.leaf_index = 5`)).rows as LeafRow[];
        await a.db.query(`UPDATE audit_events SET leaf_hash = $1 WHERE leaf_index = 5`, [hashLeafEvent(toLeafEvent(row!, 5))]);
        await a.db.query(`DELETE FROM audit_checkpoints WHERE tree_size > 5`);
        await a.db.query(`DELETE FROM audit_cosignatures`);
      });
      // A freshly started instance re-reads the leaves and seals a new, self-consistent checkpoint over them.
      b = await createTestApp(env, { shareWith: a });
      await populate(b, auditor, 3);
      const report = (await b.http.post(`${API}/audit/verify`).set(bearer(auditor)).send({}).expect(200)).body;
      expect(report.ok).toBe(false);
      expect(report.badCheckpoint).toBe(size);
      expect(report.reason).toMatch(new RegExp(`witness audit-office\\.test/w1 holds a checkpoint of tree size ${size} whose root differs`));
    } finally {
      await b?.close();
      await a.close();
      await witness.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs tampering as the database superuser would: with the append-only triggers off. */
async function superuserTamper(t: TestApp, work: () => Promise<void>): Promise<void> {
  const triggers = [
    ['audit_events', 'audit_events_no_update_delete'],
    ['audit_checkpoints', 'audit_checkpoints_no_update_delete'],
    ['audit_cosignatures', 'audit_cosignatures_no_update_delete'],
  ];
  for (const [table, trigger] of triggers) await t.db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${trigger}`);
  try {
    await work();
  } finally {
    for (const [table, trigger] of triggers) await t.db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${trigger}`);
  }
}
