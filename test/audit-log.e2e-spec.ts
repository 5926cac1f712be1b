import { Logger } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import { AuditLogService } from '../src/audit/audit-log.service';
import { hashLeafEvent, LEAF_COLUMNS, LeafRow, toLeafEvent } from '../src/audit/leaf';
import { verifyConsistency, verifyInclusion } from '../src/audit/merkle';
import { exportEvents, latestCheckpoint } from './support/audit-exports';
import { createOrg, createStaff } from './support/factories';
import { VERIFIER_SOURCE, VerifierFolder } from './support/offline-verifier';
import { ADMIN, API, bearer, createTestApp, signIn, TestApp } from './support/test-app';

const b64 = (s: string) => Buffer.from(s, 'base64');

/** Makes some audit events through the API and seals them. */
async function populate(t: TestApp, admin: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await t.http.get(`${API}/organizations?limit=1`).set(bearer(admin)).expect(200);
  for (let i = 0; i < 3; i++) await createOrg(t, admin, { kind: 'correctional_facility', name: `施設 ${i}` });
  await t.app.get(AuditLogService).sealNow();
}

async function auditorOf(t: TestApp, admin: string): Promise<string> {
  const ministry = (await t.http.get(`${API}/organizations?kind=ministry`).set(bearer(admin))).body.items[0];
  return (await createStaff(t, admin, ministry.id, ['auditor'])).token;
}

/** Exports the log and its latest checkpoint into a folder with the standalone verifier alone, and runs it there. */
async function offline(t: TestApp, auditor: string): Promise<{ ok: boolean; firstBadIndex?: number; badCheckpoint?: number }> {
  const folder = new VerifierFolder();
  try {
    const exported = folder.write('events.ndjson', await exportEvents(t, auditor, 'ndjson'));
    const cp = await latestCheckpoint(t, auditor);
    const note = folder.write('latest.note', cp.note);
    const r = folder.run(['--export', exported, '--checkpoint', note, '--log-key', cp.logKey]);
    expect(r.status).toBe(r.ok ? 0 : 1);
    return { ok: r.ok, firstBadIndex: r.firstBadIndex, badCheckpoint: r.rootMismatches.includes(cp.treeSize) ? cp.treeSize : undefined };
  } finally {
    folder.remove();
  }
}

describe('tamper-evident audit log', () => {
  let t: TestApp;
  let admin: string;
  let auditor: string;

  beforeAll(async () => {
    t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    auditor = await auditorOf(t, admin);
    await populate(t, admin, 10);
  });
  afterAll(() => t.close());

  it('seals every committed event with consecutive leaf indexes and a signed checkpoint', async () => {
    const rows = await t.db.query('SELECT leaf_index FROM audit_events WHERE leaf_index IS NOT NULL ORDER BY leaf_index');
    expect(rows.rows.map((r) => Number(r.leaf_index))).toEqual(rows.rows.map((_, i) => i));
    const latest = await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor)).expect(200);
    expect(latest.body.treeSize).toBe(rows.rowCount);
    const jwks = (await t.http.get('/.well-known/jwks.json')).body.keys;
    expect(jwks.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'EdDSA']);
  });

  it('answers inclusion and consistency proofs that verify against the checkpoints', async () => {
    const first = (await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor))).body;
    await populate(t, admin, 5);
    const second = (await t.http.get(`${API}/audit/checkpoints/latest`).set(bearer(auditor))).body;
    expect(second.treeSize).toBeGreaterThan(first.treeSize);
    for (const index of [0, 3, first.treeSize - 1, second.treeSize - 1]) {
      const p = await t.http.get(`${API}/audit/events/${index}/proof?treeSize=${second.treeSize}`).set(bearer(auditor)).expect(200);
      expect(verifyInclusion(index, second.treeSize, b64(p.body.leafHash), p.body.proof.map(b64), b64(second.rootHash))).toBe(true);
      expect(verifyInclusion(index, second.treeSize, b64(p.body.leafHash), p.body.proof.map(b64), b64(first.rootHash))).toBe(false);
    }
    const c = await t.http.get(`${API}/audit/consistency?from=${first.treeSize}&to=${second.treeSize}`).set(bearer(auditor)).expect(200);
    expect(verifyConsistency(first.treeSize, second.treeSize, c.body.proof.map(b64), b64(first.rootHash), b64(second.rootHash))).toBe(true);
    await t.http.get(`${API}/audit/events/${second.treeSize + 5}/proof`).set(bearer(auditor)).expect(422);
  });

  it('verifies the untouched log, online and offline', async () => {
    const res = await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200);
    expect(res.body).toMatchObject({ ok: true });
    expect(res.body.checkpointsVerified).toBeGreaterThan(0);
    expect(await offline(t, auditor)).toMatchObject({ ok: true });
  });

  it('runs verifications one at a time, lets two more wait, and asks a fourth to come back', async () => {
    const log = t.app.get(AuditLogService);
    // The real verification, watched: how many run at once.
    const inner = log as unknown as { verifyOnce: (o: unknown) => Promise<unknown> };
    const original = inner.verifyOnce.bind(log);
    let running = 0;
    let most = 0;
    // The first verification is held until the refusals below have been seen.
    let letGo!: () => void;
    const held = new Promise<void>((r) => (letGo = r));
    let calls = 0;
    const spy = jest.spyOn(inner, 'verifyOnce').mockImplementation(async (o: unknown) => {
      most = Math.max(most, ++running);
      try {
        if (calls++ === 0) await held;
        return await original(o);
      } finally {
        running--;
      }
    });
    try {
      const three = [log.verify(), log.verify(), log.verify()];
      await expect(log.verify()).rejects.toMatchObject({ status: 429, code: 'verification-busy' });
      const busy = await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).send({}).expect(429);
      expect(busy.headers['retry-after']).toBe('30');
      expect(busy.body.type).toMatch(/verification-busy$/);
      letGo();
      for (const report of await Promise.all(three)) expect(report).toMatchObject({ ok: true });
      expect(most).toBe(1);
      expect(spy).toHaveBeenCalledTimes(3);
      // the queue is free again
      expect((await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).send({}).expect(200)).body.ok).toBe(true);
    } finally {
      letGo();
      spy.mockRestore();
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE of checkpoints and cosignatures', async () => {
    for (const sql of [
      'TRUNCATE audit_checkpoints',
      'TRUNCATE audit_cosignatures',
      'DELETE FROM audit_checkpoints',
      `UPDATE audit_checkpoints SET note = 'x'`,
    ])
      await expect(t.db.query(sql)).rejects.toThrow(/append-only/);
    await t.db.query(`INSERT INTO audit_cosignatures (tree_size, witness, cosigned_at, signature_line) VALUES (1, 'w', now(), 'x')`);
    await expect(t.db.query(`UPDATE audit_cosignatures SET signature_line = 'y'`)).rejects.toThrow(/append-only/);
    await expect(t.db.query(`DELETE FROM audit_cosignatures`)).rejects.toThrow(/append-only/);
  });

  it('searches with filters and cursor pagination, and audits the auditor', async () => {
    const page = await t.http.get(`${API}/audit/events?action=organization.create&limit=2`).set(bearer(auditor)).expect(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items.every((e: { action: string }) => e.action === 'organization.create')).toBe(true);
    const next = await t.http.get(`${API}/audit/events?action=organization.create&limit=2&cursor=${page.body.nextCursor}`).set(bearer(auditor)).expect(200);
    expect(Number(next.body.items[0].id)).toBeLessThan(Number(page.body.items[1].id));
    const self = await t.db.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = 'audit.search' AND request_id = $1`, [page.headers['x-request-id']]);
    expect(self.rows[0].n).toBe(1);
    await t.http.get(`${API}/audit/events`).set(bearer(admin)).expect(403);
  });

  it('exports CSV with every column quoted', async () => {
    const res = await t.http.get(`${API}/audit/events/export?format=csv&action=organization.create`).set(bearer(auditor)).expect(200);
    expect(res.headers['content-type']).toMatch(/text\/csv/);
    const lines = res.text.trim().split('\n');
    expect(lines[0]).toMatch(/^id,occurredAt,/);
    expect(lines.length).toBeGreaterThan(3);
  });

  it('runs as a command and says plainly what it found', async () => {
    const res = spawnSync(process.execPath, [VERIFIER_SOURCE], { encoding: 'utf8' });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('--export, --checkpoint and --log-key are required');
    expect(res.stderr).toContain('usage: node verify-audit-log.js');
  });
});

describe('tampering is found by POST /audit/verify and by the offline verifier', () => {
  let t: TestApp;
  let admin: string;
  let auditor: string;

  beforeEach(async () => {
    t = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    auditor = await auditorOf(t, admin);
    await populate(t, admin, 8);
    await t.db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete');
    await t.db.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update_delete');
  });
  afterEach(() => t.close());

  async function bothReport() {
    const online = (await t.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200)).body;
    // Large logs are verified in worker threads (one connection each, in one exported snapshot): the same answer.
    expect(await t.app.get(AuditLogService).verify({ parallel: true })).toEqual(online);
    // …and in chunks of 4 leaves: many chunk boundaries, two chunks in flight per worker, joined in order.
    expect(await t.app.get(AuditLogService).verify({ parallel: true, chunk: 4 })).toEqual(online);
    const off = await offline(t, auditor);
    return { online, off };
  }

  it('forgets the subtrees cached for proofs when it finds tampering, and only then', async () => {
    const log = t.app.get(AuditLogService);
    const reset = jest.spyOn(log.subtrees, 'reset');
    try {
      expect(await log.verify()).toMatchObject({ ok: true });
      expect(reset).not.toHaveBeenCalled();
      await t.db.query(`UPDATE audit_events SET outcome = 'denied' WHERE leaf_index = 5`);
      expect(await log.verify()).toMatchObject({ ok: false, firstBadIndex: 5 });
      expect(reset).toHaveBeenCalledTimes(1);
    } finally {
      reset.mockRestore();
    }
  });

  it('finds one changed field of an old event', async () => {
    await t.db.query(`UPDATE audit_events SET outcome = 'denied' WHERE leaf_index = 5`);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, firstBadIndex: 5 });
    expect(off).toMatchObject({ ok: false, firstBadIndex: 5 });
  });

  it('finds a deleted event', async () => {
    await t.db.query(`DELETE FROM audit_events WHERE leaf_index = 4`);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, firstBadIndex: 4 });
    expect(off).toMatchObject({ ok: false, firstBadIndex: 4 });
  });

  it('finds an inserted event', async () => {
    // Make room at index 6 (two steps, so the unique index never sees a duplicate), then forge an event there.
    await t.db.query(`UPDATE audit_events SET leaf_index = leaf_index + 100000 WHERE leaf_index >= 6`);
    await t.db.query(`UPDATE audit_events SET leaf_index = leaf_index - 100000 + 1 WHERE leaf_index >= 100000`);
    await t.db.query(
      `INSERT INTO audit_events (actor_type, action, resource_type, outcome, leaf_index, leaf_hash)
       SELECT 'system', 'forged.event', 'route', 'success', 6, leaf_hash FROM audit_events WHERE leaf_index = 7`,
    );
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, firstBadIndex: 6 });
    expect(off).toMatchObject({ ok: false, firstBadIndex: 6 });
  });

  it('names the index of a forged event inserted with a correct hash of its own', async () => {
    const k = 9;
    await t.db.query(`UPDATE audit_events SET leaf_index = leaf_index + 100000 WHERE leaf_index >= $1`, [k]);
    await t.db.query(`UPDATE audit_events SET leaf_index = leaf_index - 100000 + 1 WHERE leaf_index >= 100000`);
    await t.db.query(
      `INSERT INTO audit_events (actor_type, action, resource_type, outcome, leaf_index, leaf_hash) VALUES ('system', 'forged.event', 'route', 'success', $1, '\\x00')`,
      [k],
    );
    const [row] = (await t.db.query(`SELECT ${LEAF_COLUMNS} FROM audit_events a WHERE a.leaf_index = $1`, [k])).rows as LeafRow[];
    await t.db.query(`UPDATE audit_events SET leaf_hash = $1 WHERE leaf_index = $2`, [hashLeafEvent(toLeafEvent(row!, k)), k]);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, firstBadIndex: k });
    expect(off).toMatchObject({ ok: false, firstBadIndex: k });
  });

  it('finds two swapped events', async () => {
    await t.db.query(`UPDATE audit_events SET leaf_index = -1 WHERE leaf_index = 2`);
    await t.db.query(`UPDATE audit_events SET leaf_index = 2 WHERE leaf_index = 3`);
    await t.db.query(`UPDATE audit_events SET leaf_index = 3 WHERE leaf_index = -1`);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, firstBadIndex: 2 });
    expect(off).toMatchObject({ ok: false, firstBadIndex: 2 });
  });

  it('finds a rewritten checkpoint root', async () => {
    const [{ tree_size }] = (await t.db.query('SELECT tree_size FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1')).rows;
    await t.db.query(`UPDATE audit_checkpoints SET root_hash = sha256('forged') WHERE tree_size = $1`, [tree_size]);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false, badCheckpoint: Number(tree_size) });
    // The offline verifier reads the signed note, which the rewrite did not touch: the export still
    // matches what the log signed, so it rightly passes; a rewritten note is the next test.
    expect(off).toMatchObject({ ok: true });
  });

  it('finds a rewritten checkpoint note, whose signature no longer covers it', async () => {
    const [{ tree_size, note }] = (await t.db.query('SELECT tree_size, note FROM audit_checkpoints WHERE note IS NOT NULL ORDER BY tree_size DESC LIMIT 1')).rows as { tree_size: string; note: string }[];
    const lines = note.split('\n');
    lines[2] = Buffer.alloc(32, 7).toString('base64');
    await t.db.query(`UPDATE audit_checkpoints SET note = $1, root_hash = $2 WHERE tree_size = $3`, [lines.join('\n'), Buffer.alloc(32, 7), tree_size]);
    const { online, off } = await bothReport();
    expect(online).toMatchObject({ ok: false });
    expect(off).toMatchObject({ ok: false });
  });
});

describe('two service instances on one database', () => {
  it('seal without gaps or duplicates', async () => {
    const a = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '100' });
    const b = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '100' }, { shareWith: a });
    try {
      const admin = (await signIn(a, ADMIN.username, ADMIN.password)).token;
      const facility = await createOrg(a, admin, { kind: 'correctional_facility', name: '並行施設' });
      await createStaff(a, admin, facility.id, ['case_officer']);
      // Both instances write events while both seal every 100 ms.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).http.get(`${API}/organizations?limit=1`).set(bearer(admin)).expect(200)),
      );
      await Promise.all([a.app.get(AuditLogService).sealNow(), b.app.get(AuditLogService).sealNow()]);
      await a.app.get(AuditLogService).sealNow();
      const rows = await a.db.query('SELECT leaf_index FROM audit_events ORDER BY leaf_index');
      const indexes = rows.rows.map((r) => Number(r.leaf_index));
      expect(indexes.every((x) => Number.isInteger(x))).toBe(true);
      expect(indexes).toEqual(indexes.map((_, i) => i));
      const auditor = await auditorOf(a, admin);
      await a.app.get(AuditLogService).sealNow();
      const verified = await b.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200);
      expect(verified.body).toMatchObject({ ok: true });
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('a sealer that starts again', () => {
  /** The stored leaf hashes an instance's sealer reads, as [from, size) ranges. */
  function watchLeafReads(t: TestApp): { reads: [number, number][]; restore(): void } {
    const inner = t.app.get(AuditLogService) as unknown as { eachLeafHash: (size: number, q: unknown, from: number, each: unknown) => Promise<void> };
    const original = inner.eachLeafHash.bind(inner);
    const reads: [number, number][] = [];
    const spy = jest.spyOn(inner, 'eachLeafHash').mockImplementation((size, q, from, each) => {
      reads.push([from, size]);
      return original(size, q, from, each);
    });
    return { reads, restore: () => spy.mockRestore() };
  }

  it('takes its Merkle range from the newest checkpoint, and from every leaf when that checkpoint\'s range does not give its signed root', async () => {
    const a = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' });
    const opened: TestApp[] = [a];
    try {
      const admin = (await signIn(a, ADMIN.username, ADMIN.password)).token;
      await populate(a, admin, 20);
      const sealed = async () => Number((await a.db.query('SELECT count(*)::int AS n FROM audit_events WHERE leaf_index IS NOT NULL')).rows[0].n);
      const first = await sealed();
      expect(first).toBeGreaterThan(0);
      // every checkpoint sealed keeps its range
      expect((await a.db.query('SELECT count(*)::int AS n FROM audit_checkpoints WHERE frontier IS NULL')).rows[0].n).toBe(0);

      // A new instance (as after a restart) seals the events written since, reading no stored leaf.
      const b = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' }, { shareWith: a });
      opened.push(b);
      await populate(a, admin, 5); // sealed by a; b has never sealed
      const second = await sealed();
      const watchB = watchLeafReads(b);
      for (let i = 0; i < 2; i++) await createOrg(b, admin, { kind: 'correctional_facility', name: `再起動後の施設 ${i}` });
      expect(await b.app.get(AuditLogService).sealNow()).toBeGreaterThan(0);
      watchB.restore();
      expect(watchB.reads).toEqual([]);
      expect(await sealed()).toBeGreaterThan(second);
      const auditor = await auditorOf(a, admin);
      await a.app.get(AuditLogService).sealNow();
      expect((await b.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200)).body).toMatchObject({ ok: true });

      // The newest checkpoint's stored range is rewritten: a third instance does not take it, reads
      // every stored leaf instead, and the log still verifies.
      await a.db.query('ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update_delete');
      await a.db.query(`UPDATE audit_checkpoints SET frontier = decode(repeat('00', length(frontier)), 'hex') WHERE tree_size = (SELECT max(tree_size) FROM audit_checkpoints)`);
      await a.db.query('ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update_delete');
      const c = await createTestApp({ AUDIT_SEAL_INTERVAL_MS: '60000' }, { shareWith: a });
      opened.push(c);
      const watchC = watchLeafReads(c);
      // (Nest's loggers write to one app's stream per process: watch the service's own logger)
      const loggedC = jest.spyOn((c.app.get(AuditLogService) as unknown as { logger: Logger }).logger, 'error');
      const before = await sealed();
      for (let i = 0; i < 2; i++) await createOrg(c, admin, { kind: 'correctional_facility', name: `三つ目の施設 ${i}` });
      expect(await c.app.get(AuditLogService).sealNow()).toBeGreaterThan(0);
      watchC.restore();
      expect(watchC.reads[0]).toEqual([0, expect.any(Number)]);
      expect(loggedC.mock.calls.filter(([, msg]) => String(msg).includes('stored range does not give its signed root'))).toEqual([
        [{ checkpoint: expect.any(Number) }, expect.any(String)],
      ]);
      loggedC.mockRestore();
      expect(watchC.reads.reduce((n, [from, size]) => n + size - from, 0)).toBe(before);
      await a.app.get(AuditLogService).sealNow();
      expect((await c.http.post(`${API}/audit/verify`).set(bearer(auditor)).expect(200)).body).toMatchObject({ ok: true });
    } finally {
      for (const t of opened.reverse()) await t.close();
    }
  });
});
