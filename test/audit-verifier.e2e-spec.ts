/**
 * The standalone offline verifier (src/audit/standalone/verify-audit-log.js), run as someone
 * without this repository runs it: copied alone into an empty folder with an export and notes,
 * run there with node, allowed to read nothing else. The export is the service's own (real
 * events, including cells that need the CSV formula guard, quotes, backslashes, newlines and
 * non-ASCII text); tampering is done to the exported files, as someone holding them would.
 */
import { readFileSync } from 'node:fs';
import { AuditLogService } from '../src/audit/audit-log.service';
import { csvLine, CSV_COLUMNS, toEventView } from '../src/audit/audit-query.service';
import { hashLeafEvent, toLeafEvent } from '../src/audit/leaf';
import { CompactRange } from '../src/audit/merkle';
import { syntheticRow } from './bench/support/audit-export';
import { rng } from './bench/support/util';
import { ExportedEvent, exportEvents, latestCheckpoint, parseNdjson, resealed, rootOfFirst, STAND_IN_LOG, toNdjson } from './support/audit-exports';
import { createStaff } from './support/factories';
import { VERIFIER_SOURCE, VerifierFolder, VerifierResult } from './support/offline-verifier';
import { checkpointNote, cosign, logSigner, signNote, witnessSigner } from './support/signed-notes';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

/** Values anonymous callers can put into the log (a refused client_id becomes the event's resourceId). */
const AWKWARD_CLIENT_IDS = ['=1+1', '\tleading tab', '+81 3 1234 5678', '-2', '@SUM(A1)', "'already quoted", "'=quoted formula", 'tab\there', 'two\nlines', 'quote " and \\ backslash', '施設の職員 ✓', '\u2028'];

const W = [witnessSigner('w1.example/witness'), witnessSigner('w2.example/witness'), witnessSigner('w3.example/witness')];
const witnessArgs = W.flatMap((w) => ['--witness', w.vkey]);

describe('the standalone audit verifier, copied alone with an export and notes', () => {
  let t: TestApp;
  let auditor: string;
  /** The sealed events of the service's export, and the unsealed ones after them. */
  let sealed: ExportedEvent[];
  let unsealed: ExportedEvent[];
  let csv: string;
  let N: number;
  /** The service's own checkpoint note and its log verifier key (GET /audit/verifier-key). */
  let service: { note: string; logKey: string };
  const folders: VerifierFolder[] = [];

  /** A fresh folder with the verifier and these files; runs it with the log key and these arguments. */
  function verify(files: Record<string, string>, args: string[]): VerifierResult {
    const folder = new VerifierFolder();
    folders.push(folder);
    for (const [name, content] of Object.entries(files)) folder.write(name, content);
    const logKey = ['--log-key', STAND_IN_LOG.vkey];
    // in one thread, and in worker threads with small chunks: both must say the same
    const single = folder.run([...logKey, ...args, '--workers', '0']);
    const parallel = folder.run([...logKey, ...args, '--workers', '2', '--chunk-bytes', '4096']);
    expect(parallel.lines).toEqual(single.lines);
    expect(parallel.status).toBe(single.status);
    expect(single.stderr).toBe('');
    return single;
  }
  const note = (size: number, witnesses = [] as typeof W, events = sealed) => checkpointNote(STAND_IN_LOG, size, rootOfFirst(events, size), witnesses);
  const exportArgs = ['--export', 'events.ndjson', '--checkpoint', 'latest.note'];
  const withEvents = (events: ExportedEvent[], checkpoint = note(N)) => ({ 'events.ndjson': toNdjson([...events, ...unsealed]), 'latest.note': checkpoint });

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    const admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(admin))).body.items[0];
    auditor = (await createStaff(t, admin, ministry.id, ['auditor'])).token;
    for (const clientId of AWKWARD_CLIENT_IDS) await t.http.post(`${API}/auth/token`).send({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'wrong' }).expect(401);
    await t.http.get(`${API}/audit/events?limit=1`).set(bearer(auditor)).set('X-Request-Id', '-starts-with-a-dash').expect(200);
    // enough events for index 188, and at least one leaf hash whose base64 starts with + (the CSV guard applies to it);
    // every auditor search is an audit event
    for (let round = 0; ; round++) {
      for (let i = 0; i < 20; i++) await t.http.get(`${API}/audit/events?limit=1&action=auth.token`).set(bearer(auditor)).expect(200);
      await t.app.get(AuditLogService).sealNow();
      const rows = (await t.db.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE encode(leaf_hash, 'base64') LIKE '+%')::int AS plus FROM audit_events WHERE leaf_index IS NOT NULL`)).rows[0];
      if (rows.n >= 240 && rows.plus > 0) break;
      if (round > 100) throw new Error('no leaf hash starting with + after 2,000 events');
    }
    const all = parseNdjson(await exportEvents(t, auditor, 'ndjson'));
    csv = await exportEvents(t, auditor, 'csv');
    const cp = await latestCheckpoint(t, auditor);
    sealed = all.filter((e) => e.leafIndex !== null);
    unsealed = all.filter((e) => e.leafIndex === null);
    N = cp.treeSize;
    service = { note: cp.note, logKey: cp.logKey };
    // the export is the service's sealed log: its leaf hashes give the root the service signed
    expect(sealed.map((e) => e.leafIndex)).toEqual(sealed.map((_, i) => i));
    expect(rootOfFirst(sealed, N).toString('base64')).toBe(cp.rootHash);
    expect(unsealed.length).toBeGreaterThan(0); // the export's own audit event, not sealed yet
  }, 180_000);

  afterAll(async () => {
    for (const f of folders) f.remove();
    await t.close();
  });

  it('verifies the export against the note the service signed, with the key the service publishes', () => {
    const folder = new VerifierFolder();
    folders.push(folder);
    folder.write('events.ndjson', toNdjson([...sealed, ...unsealed]));
    folder.write('latest.note', service.note);
    const ok = folder.run(['--log-key', service.logKey, ...exportArgs]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.lines[ok.lines.length - 1]).toBe(`OK: all checks passed: tree size ${N}, root ${rootOfFirst(sealed, N).toString('base64')}`);
    // the same note against a forged tail: the service's signature does not cover it
    const forged = [...sealed.slice(0, N - 1), resealed({ ...sealed[N - 1]!, action: 'auth.login' })];
    folder.write('events.ndjson', toNdjson([...forged, ...unsealed]));
    const bad = folder.run(['--log-key', service.logKey, ...exportArgs]);
    expect(bad.status).toBe(1);
    expect(bad.lines.join('\n')).toMatch(/FAILED/);
  });

  it('accepts the untouched export, NDJSON and CSV, and says what it checked', () => {
    const r = verify(withEvents(sealed), exportArgs);
    expect(r.status).toBe(0);
    expect(r.ok).toBe(true);
    expect(r.lines).toEqual([
      `OK: export events.ndjson: ${N} sealed events (NDJSON), leaf indexes 0 to ${N - 1} with no gap, every leaf hash recomputed from its event`,
      `OK: checkpoint latest.note: ${STAND_IN_LOG.name}, tree size ${N}, signed by the log key ${STAND_IN_LOG.name}; its root is the root of the export's ${N} sealed events`,
      `OK: all checks passed: tree size ${N}, root ${rootOfFirst(sealed, N).toString('base64')}`,
    ]);
    const c = verify({ 'events.csv': csv, 'latest.note': note(N) }, ['--export', 'events.csv', '--checkpoint', 'latest.note']);
    expect(c.status).toBe(0);
    expect(c.lines[0]).toBe(`OK: export events.csv: ${N} sealed events (CSV), leaf indexes 0 to ${N - 1} with no gap, every leaf hash recomputed from its event`);
  });

  it('reads the CSV formula guard back: one leading quote off every quoted cell that starts with one', () => {
    // the cells the service wrote with a guard
    for (const cell of ['"\'=1+1"', '"\'+81 3 1234 5678"', '"\'-2"', '"\'@SUM(A1)"', '"\'\'already quoted"', '"\'\'=quoted formula"', '"\'-starts-with-a-dash"']) expect(csv).toContain(cell);
    expect(csv).toMatch(/,"'\+[A-Za-z0-9+/]{42}="\n/); // a leaf hash starting with +
    expect(csv).toContain('"two\nlines"');
    expect(csv).toContain('"quote "" and \\ backslash"');
    // a guard removed by someone editing the file is a change to the event
    const line = csv.split('\n').findIndex((l) => l.includes('"\'-2"'));
    const index = Number(/"(\d+)","[^"]*"$/.exec(csv.split('\n')[line]!)![1]);
    const edited = csv.replace('"\'-2"', '"-2x"');
    const r = verify({ 'events.csv': edited, 'latest.note': note(N) }, ['--export', 'events.csv', '--checkpoint', 'latest.note']);
    expect(r.status).toBe(1);
    expect(r.firstBadIndex).toBe(index);
  });

  it('takes notes as files, JSON with a note, and receipts (compact JWS or its JSON), and counts witnesses', () => {
    const receipt = { recordId: 'r-1', checkpoint: { note: note(150, [W[0]!]) } };
    const jws = `${Buffer.from('{"alg":"EdDSA"}').toString('base64url')}.${Buffer.from(JSON.stringify(receipt)).toString('base64url')}.c2lnbmF0dXJl`;
    const r = verify(
      { ...withEvents(sealed, note(N, [W[0]!, W[1]!])), 'held.note': note(100, [W[0]!, W[1]!, W[2]!]), 'checkpoint.json': JSON.stringify({ note: note(N) }), 'receipt.jws': jws, 'receipt.json': JSON.stringify(receipt) },
      [...exportArgs, '--held', 'held.note', '--held', 'checkpoint.json', '--receipt', 'receipt.jws', '--receipt', 'receipt.json', ...witnessArgs, '--quorum', '2'],
    );
    expect(r.status).toBe(0);
    expect(r.lines).toContain(`OK: held note held.note: ${STAND_IN_LOG.name}, tree size 100, signed by the log key ${STAND_IN_LOG.name}; its root is the root of the export's first 100 leaves`);
    expect(r.lines).toContain(`OK: receipt receipt.jws: ${STAND_IN_LOG.name}, tree size 150, signed by the log key ${STAND_IN_LOG.name}; its root is the root of the export's first 150 leaves`);
    expect(r.lines).toContain('OK: witnesses: 2 of 3 cosigned the checkpoint (w1.example/witness, w2.example/witness); quorum 2');
  });

  it('finds a changed event at its index', () => {
    const changed = sealed.map((e) => (e.leafIndex === 188 ? { ...e, outcome: e.outcome === 'success' ? 'denied' : 'success' } : e));
    const r = verify(withEvents(changed), exportArgs);
    expect(r.status).toBe(1);
    expect(r.firstBadIndex).toBe(188);
    expect(r.failed[0]).toMatch(/^leaf 188: the event on line 189 does not match the leaf hash sealed for leaf 188/);
  });

  it('finds a deleted event at its index, whether or not the later ones were renumbered', () => {
    const gone = sealed.filter((e) => e.leafIndex !== 188);
    const r = verify(withEvents(gone), exportArgs);
    expect(r.firstBadIndex).toBe(188);
    expect(r.failed[0]).toMatch(/^leaf 188: leaf 188 is missing/);
    const renumbered = verify(
      withEvents(gone.map((e, i) => ({ ...e, leafIndex: i }))),
      exportArgs,
    );
    expect(renumbered.firstBadIndex).toBe(188);
    expect(renumbered.failed[0]).toMatch(/was sealed as leaf 189: the event sealed as leaf 188 is missing here/);
  });

  it('finds a forged event inserted with a correct leaf hash at the index where it was inserted', () => {
    const forged = resealed({ ...sealed[100]!, id: '9999999', action: 'record.read', resourceType: 'release_record', resourceId: '424242' }, 188);
    const later = sealed.slice(188);
    // later events moved up by one, keeping their sealed hashes
    const moved = verify(withEvents([...sealed.slice(0, 188), forged, ...later.map((e) => ({ ...e, leafIndex: e.leafIndex! + 1 }))]), exportArgs);
    expect(moved.status).toBe(1);
    expect(moved.firstBadIndex).toBe(188);
    expect(moved.failed[0]).toMatch(/^leaf 188: the event on line 190 has leaf index 189 but was sealed as leaf 188: an event was inserted from leaf 188 on/);
    // later events left as they were: leaf 188 appears twice
    const repeated = verify(withEvents([...sealed.slice(0, 188), forged, ...later]), exportArgs);
    expect(repeated.firstBadIndex).toBe(188);
    expect(repeated.failed[0]).toMatch(/^leaf 188: leaf 188 appears again/);
  });

  it('finds swapped events at the first of the two', () => {
    const lines = sealed.slice();
    [lines[188], lines[189]] = [lines[189]!, lines[188]!];
    expect(verify(withEvents(lines), exportArgs).firstBadIndex).toBe(188);
    const contents = sealed.map((e) => (e.leafIndex === 188 ? { ...sealed[189]!, leafIndex: 188 } : e.leafIndex === 189 ? { ...sealed[188]!, leafIndex: 189 } : e));
    const r = verify(withEvents(contents), exportArgs);
    expect(r.firstBadIndex).toBe(188);
    expect(r.failed[0]).toMatch(/has leaf index 188 but was sealed as leaf 189/);
  });

  it('finds a truncated log through a held note or a witness note, which its own older checkpoint cannot', () => {
    const M = N - 30;
    const truncated = withEvents(sealed.slice(0, M), note(M)); // the log's own, earlier, checkpoint
    expect(verify(truncated, exportArgs).ok).toBe(true);
    const held = verify({ ...truncated, 'held.note': note(N, [W[0]!]) }, [...exportArgs, '--held', 'held.note']);
    expect(held.status).toBe(1);
    expect(held.firstBadIndex).toBe(M);
    expect(held.failed).toEqual([`held note held.note: the log signed tree size ${N}, but the export has only ${M} sealed events: 30 events are missing (deleted, truncated or rolled back)`]);
    const receipt = verify({ ...truncated, 'receipt.json': JSON.stringify({ checkpoint: { note: note(N - 10) } }) }, [...exportArgs, '--receipt', 'receipt.json']);
    expect(receipt.firstBadIndex).toBe(M);
  });

  it('finds a rewritten and rehashed log whose newer checkpoints were withheld, through a held witness-cosigned note', () => {
    // from leaf 150 on: events changed and every leaf hash recomputed; the newest checkpoint shown is the one before
    const rewritten = sealed.map((e) => (e.leafIndex! < 150 ? e : resealed({ ...e, outcome: e.leafIndex === 160 ? 'denied' : e.outcome, sourceIp: '192.0.2.1' })));
    const files = { ...withEvents(rewritten, note(150)), 'witnessed.note': note(N - 5, [W[0]!, W[1]!]) };
    const r = verify(files, [...exportArgs, '--held', 'witnessed.note', ...witnessArgs, '--quorum', '2']);
    expect(r.status).toBe(1);
    expect(r.rootMismatches).toEqual([N - 5]);
    expect(r.firstBadAtOrAfter).toBe(150);
    expect(r.failed).toContain(
      `checkpoint latest.note: tree size 150, but the export has ${N} sealed events: leaves 150 to ${N - 1} are covered by no checkpoint you gave (fetch the checkpoint after the export, or a checkpoint was withheld)`,
    );
    expect(r.lines).toContain(`OK: witnesses: 2 of 3 cosigned the newest held note, tree size ${N - 5} (w1.example/witness, w2.example/witness); quorum 2; the checkpoint has 0`);
    // and cut back to the old checkpoint, the rewrite is gone but the witnessed note is still too big for it
    const cut = verify({ ...files, ...withEvents(rewritten.slice(0, 150), note(150)) }, [...exportArgs, '--held', 'witnessed.note']);
    expect(cut.firstBadIndex).toBe(150);
  });

  it('requires a quorum of distinct witnesses, and rejects a forged cosignature', () => {
    const one = verify(withEvents(sealed, note(N, [W[0]!])), [...exportArgs, ...witnessArgs, '--witness', W[0]!.vkey, '--quorum', '2']);
    expect(one.status).toBe(1);
    expect(one.failed).toEqual(['witnesses: quorum 2 not met: the checkpoint is cosigned by 1 of 3 (w1.example/witness)']);
    expect(one.firstBadIndex).toBeUndefined();
    // the same witness twice is one witness
    const twice = cosign(note(N, [W[0]!]), W[0]!, 1_700_000_000);
    expect(verify(withEvents(sealed, twice), [...exportArgs, ...witnessArgs, '--quorum', '2']).failed[0]).toMatch(/quorum 2 not met: the checkpoint is cosigned by 1 of 3/);
    // a cosignature line by a known witness that does not verify rejects the note
    const good = note(N, [W[0]!, W[1]!]);
    const lines = good.split('\n');
    const last = lines.length - 2;
    const sig = Buffer.from(lines[last]!.split(' ')[2]!, 'base64');
    sig[20] = sig[20]! ^ 1;
    lines[last] = `\u2014 ${W[1]!.name} ${sig.toString('base64')}`;
    const forged = verify(withEvents(sealed, lines.join('\n')), [...exportArgs, ...witnessArgs, '--quorum', '1']);
    expect(forged.status).toBe(1);
    expect(forged.failed[0]).toBe(`checkpoint latest.note (tree size ${N}): the cosignature by witness ${W[1]!.name} does not verify`);
  });

  it('rejects a note larger than the log, one not signed by the log key, and one for another log', () => {
    const larger = checkpointNote(STAND_IN_LOG, N + 5, Buffer.alloc(32, 7));
    const r = verify({ ...withEvents(sealed), 'receipt.note': larger }, [...exportArgs, '--receipt', 'receipt.note']);
    expect(r.status).toBe(1);
    expect(r.firstBadIndex).toBe(N);
    expect(r.failed).toEqual([`receipt receipt.note: the log signed tree size ${N + 5}, but the export has only ${N} sealed events: 5 events are missing (deleted, truncated or rolled back)`]);
    const other = logSigner(STAND_IN_LOG.name);
    const unsigned = verify(withEvents(sealed, checkpointNote(other, N, rootOfFirst(sealed, N))), exportArgs);
    expect(unsigned.failed[0]).toMatch(/^checkpoint latest.note \(tree size \d+\): it is not signed by the log key oie.test\/audit-log\+[0-9a-f]{8}$/);
    const otherOrigin = verify({ ...withEvents(sealed), 'held.note': signNote(`another.example/log\n100\n${rootOfFirst(sealed, 100).toString('base64')}\n`, [STAND_IN_LOG]) }, [...exportArgs, '--held', 'held.note']);
    expect(otherOrigin.failed).toEqual([`held note held.note: its origin "another.example/log" is not the checkpoint's "${STAND_IN_LOG.name}"`]);
  });

  it('exits 2 with a plain message when it cannot run', () => {
    const folder = new VerifierFolder();
    folders.push(folder);
    folder.write('events.ndjson', toNdjson(sealed));
    folder.write('latest.note', note(N));
    folder.write('checkpoint.json', JSON.stringify({ treeSize: N, rootHash: 'x', time: 't', keyId: 'k', signature: 'a.b.c' }));
    const cases: [string[], RegExp][] = [
      [[], /--export, --checkpoint and --log-key are required/],
      [['--export', 'events.ndjson', '--checkpoint', 'latest.note', '--log-key', 'nonsense'], /a verifier key is <name>\+<hex key id>\+<base64 key>/],
      [['--export', 'events.ndjson', '--checkpoint', 'latest.note', '--log-key', STAND_IN_LOG.vkey.replace(/\+[0-9a-f]{8}\+/, '+00000000+')], /the key id 00000000 does not match the key/],
      [['--export', 'missing.ndjson', '--checkpoint', 'latest.note', '--log-key', STAND_IN_LOG.vkey], /cannot read the export missing.ndjson/],
      [['--export', 'events.ndjson', '--checkpoint', 'none.note', '--log-key', STAND_IN_LOG.vkey], /cannot read the checkpoint none.note/],
      [['--export', 'events.ndjson', '--checkpoint', 'checkpoint.json', '--log-key', STAND_IN_LOG.vkey], /holds no checkpoint note.*older JSON checkpoint/],
      [['--export', 'events.ndjson', '--checkpoint', 'latest.note', '--log-key', STAND_IN_LOG.vkey, '--witness', W[0]!.vkey, '--quorum', '2'], /--quorum 2 needs at least 2 --witness keys/],
      [['--export', 'events.ndjson', '--checkpoint', 'latest.note', '--log-key', STAND_IN_LOG.vkey, '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = folder.run(args);
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: node verify-audit-log.js');
    }
  });
});

describe('the standalone audit verifier on its own', () => {
  it('requires nothing but node: built-ins (and runs where it may read only its own folder)', () => {
    const source = readFileSync(VERIFIER_SOURCE, 'utf8');
    const required = [...source.matchAll(/\brequire\(\s*([^)]*)\)/g)].map((m) => m[1]);
    expect(required.length).toBeGreaterThan(3);
    expect(required.filter((r) => !/^'node:[a-z_/]+'$/.test(r!))).toEqual([]);
    // no dynamic import or ES import (a JSDoc type {import('node:…').T} is not one)
    expect(source).not.toMatch(/(^|[^{\w])import\s*\(|^\s*import\s/m);
  });

  it('follows CSV records across chunk boundaries, newlines inside cells included, in every worker split', () => {
    // synthetic events, sealed and written by the service's code, with multi-line and non-ASCII cells
    const r = rng(7);
    const range = new CompactRange();
    let text = CSV_COLUMNS.join(',') + '\n';
    let ndjson = '';
    const total = 300;
    for (let i = 0; i < total; i++) {
      const row = syntheticRow(i, total, r);
      if (i % 7 === 3) row.resource_id = `line one\nline two ${'長い'.repeat(i % 13)}\n"quoted" ${i}`;
      if (i % 11 === 5) row.details = { note: 'multi\nline', nested: { z: 1, a: [true, null, -3, 1.5e-7, '\u00e9'] } };
      const leaf = hashLeafEvent(toLeafEvent(row, i));
      row.leaf_index = String(i);
      row.leaf_hash = leaf;
      range.append(leaf);
      text += csvLine(toEventView(row));
      ndjson += JSON.stringify(toEventView(row)) + '\n';
    }
    const folder = new VerifierFolder();
    try {
      folder.write('events.csv', text);
      folder.write('events.ndjson', ndjson);
      folder.write('latest.note', checkpointNote(STAND_IN_LOG, total, range.root()));
      for (const file of ['events.csv', 'events.ndjson'])
        for (const chunk of [4096, 4099, 4133, 5000, 7777]) {
          const res = folder.run(['--export', file, '--checkpoint', 'latest.note', '--log-key', STAND_IN_LOG.vkey, '--workers', '2', '--chunk-bytes', String(chunk)]);
          expect({ file, chunk, status: res.status, last: res.lines.at(-1) }).toEqual({ file, chunk, status: 0, last: `OK: all checks passed: tree size ${total}, root ${range.root().toString('base64')}` });
        }
    } finally {
      folder.remove();
    }
  });
});
