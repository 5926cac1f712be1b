/**
 * The leaf bytes the verifier writes from binary COPY rows (LeafRowReader) must be exactly the
 * canonical JSON the sealer hashes (canonicalLeafJson over the row as the pg driver parses it). Checked over random and hostile events: non-ASCII, control characters, surrogate
 * pairs, quotes, backslashes, U+2028, numbers, nulls and nested `details`.
 */
import * as fc from 'fast-check';
import { Client } from 'pg';
import { canonicalLeafJson, hashLeafEvent, LEAF_COLUMNS, LeafRow, toLeafEvent } from '../src/audit/leaf';
import { checkLeavesByCopy, copyLeafRows, copyLeavesSql, LEAF_SCAN_SETTINGS } from '../src/audit/leaf-copy';

const hostile = fc.constantFrom(
  '"',
  '\\',
  '\\"',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0080',
  '\u2028',
  '\u2029',
  '\ud83d\ude00',
  '\uffff',
  '\ue000',
  'é',
  '\n\t\r\b\f',
  '</script>',
  '\\u0041',
  ' ',
  '',
);
const text = fc
  .array(fc.oneof(hostile, fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ maxLength: 6 })), {
    maxLength: 5,
  })
  .map((parts) => parts.join('').replace(/\u0000/g, ''));
const nullableText = fc.option(text, { nil: null });
const numbers = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 1e21, 1e-7, 123456789012345680000, 0.1, 2 ** 53 + 2, -1.5e-300),
);
const key = fc.oneof(
  text,
  hostile,
  fc.constantFrom('a', 'b', 'aa', 'B', '__proto__', 'é', '\ud83d\ude00', '\uffff', '10', '1'),
);
const details: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    numbers,
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
})).value;
const event = fc.record({
  id: fc.option(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }), { nil: null }),
  occurredAt: fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 0, max: 10 ** 12 })),
  actorType: nullableText,
  actorId: nullableText,
  organizationId: fc.option(fc.uuid(), { nil: null }),
  action: nullableText,
  resourceType: nullableText,
  resourceId: nullableText,
  recordId: fc.option(fc.uuid(), { nil: null }),
  outcome: nullableText,
  reasonCode: nullableText,
  requestId: nullableText,
  sourceIp: nullableText,
  details: fc.option(details, { nil: null }),
});

describe('leaf JSON written from binary COPY rows', () => {
  let db: Client;

  beforeAll(async () => {
    db = new Client({ connectionString: process.env.OIE_TEST_ADMIN_URL });
    await db.connect();
    // A session table shaped like audit_events (every column nullable, so NULLs are tried everywhere).
    await db.query(`CREATE TEMP TABLE audit_events (id bigserial, occurred_at timestamptz, actor_type text, actor_id text, organization_id uuid, action text,
      resource_type text, resource_id text, record_id uuid, outcome text, reason_code text, request_id text, source_ip text, details jsonb, leaf_index bigint, leaf_hash bytea)`);
  });

  afterAll(async () => {
    await db?.end();
  });

  it('equals canonicalLeafJson for random and hostile events, and the COPY path recomputes every leaf', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 20 }), async (events) => {
        runs++;
        await db.query('TRUNCATE audit_events');
        const ids = new Set<bigint>();
        for (const [i, e] of events.entries()) {
          const detailsJson = e.details === null ? null : JSON.stringify(e.details);
          if (detailsJson?.includes('\\u0000')) continue; // jsonb refuses \u0000
          const id = e.id === null || ids.has(e.id) ? null : e.id;
          if (id !== null) ids.add(id);
          await db.query(
            `INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id, outcome, reason_code, request_id, source_ip, details, leaf_index)
             VALUES (coalesce($16::bigint, nextval('audit_events_id_seq')), make_timestamptz($1, 1, 1, 0, 0, 0, 'UTC') + make_interval(secs => $2::bigint / 1e6), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15)`,
            [
              e.occurredAt[0],
              e.occurredAt[1],
              e.actorType,
              e.actorId,
              e.organizationId,
              e.action,
              e.resourceType,
              e.resourceId,
              e.recordId,
              e.outcome,
              e.reasonCode,
              e.requestId,
              e.sourceIp,
              detailsJson,
              i,
              id === null ? null : String(id),
            ],
          );
        }
        // What the sealer hashes: the row as the driver parses it (jsonb through JSON.parse).
        const expected = (
          await db.query<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM audit_events a ORDER BY a.leaf_index`)
        ).rows;
        const written: { index: number; json: string; other: string }[] = [];
        await copyLeafRows(db, copyLeavesSql(0, 1000), (r) => {
          const json = r.leafBytes(r.index).toString('utf8');
          const other = r.leafBytes(r.index + 1000).toString('utf8');
          written.push({ index: r.index, json, other });
        });
        expect(written).toHaveLength(expected.length);
        for (const [i, row] of expected.entries()) {
          const at = Number(row.leaf_index);
          expect(written[i]!.index).toBe(at);
          expect(written[i]!.json).toBe(`\u0000${canonicalLeafJson(toLeafEvent(row, at))}`);
          // the same event as if sealed elsewhere (how a moved event is found)
          expect(written[i]!.other).toBe(`\u0000${canonicalLeafJson(toLeafEvent(row, at + 1000))}`);
          await db.query('UPDATE audit_events SET leaf_hash = $1 WHERE leaf_index = $2', [
            hashLeafEvent(toLeafEvent(row, at)),
            at,
          ]);
        }
        const n = expected.length;
        const { result, rows } = await checkLeavesByCopy(db, 0, n, [n]);
        expect(rows).toBe(n);
        expect(result.failure).toBeUndefined();
        expect(result.count).toBe(n);
      }),
      { numRuns: 150 },
    );
    expect(runs).toBeGreaterThanOrEqual(150);
  }, 120_000);

  it('names the first leaf whose event differs from its sealed hash', async () => {
    await db.query('TRUNCATE audit_events');
    for (let i = 0; i < 5; i++)
      await db.query(
        `INSERT INTO audit_events (occurred_at, actor_type, action, resource_type, outcome, details, leaf_index) VALUES (now(), 'user', 'x', 'y', 'success', '{"b": 1, "a": [1.50, "é"]}', $1)`,
        [i],
      );
    const rows = (await db.query<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM audit_events a ORDER BY a.leaf_index`))
      .rows;
    for (const row of rows)
      await db.query('UPDATE audit_events SET leaf_hash = $1 WHERE leaf_index = $2', [
        hashLeafEvent(toLeafEvent(row, Number(row.leaf_index))),
        row.leaf_index,
      ]);
    expect((await checkLeavesByCopy(db, 0, 5, [])).result.failure).toBeUndefined();
    await db.query(`UPDATE audit_events SET details = '{"b": 1, "a": [1.5, "e"]}' WHERE leaf_index = 3`);
    const { result } = await checkLeavesByCopy(db, 0, 5, []);
    expect(result.failure?.index).toBe(3);
    expect(result.count).toBe(3);
  });

  it('reads a chunk by an index scan in leaf order with the verification\'s planner settings, whatever the statistics make the planner prefer', async () => {
    await db.query('TRUNCATE audit_events');
    await db.query(`CREATE UNIQUE INDEX leaf_plan_idx ON audit_events (leaf_index)`);
    try {
      // Rows out of leaf order on the heap, as after sealing updates: a low correlation.
      await db.query(
        `INSERT INTO audit_events (occurred_at, actor_type, action, resource_type, outcome, details, leaf_index)
         SELECT now(), 'user', 'x', 'y', 'success', '{}', (i * 7919) % 50000 FROM generate_series(0, 49999) i`,
      );
      await db.query('ANALYZE audit_events');
      const select = /^COPY \((.*)\) TO STDOUT/s.exec(copyLeavesSql(8192, 16384))![1]!;
      const plan = async () => ((await db.query(`EXPLAIN ${select}`)).rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      await db.query('BEGIN');
      try {
        // Random reads priced high, as the statistics of a large sealed log make them look.
        await db.query(`SET LOCAL random_page_cost = 1000`);
        const chosen = await plan();
        expect(chosen).not.toMatch(/^Index Scan using leaf_plan_idx/);
        expect(chosen).toMatch(/Sort|Bitmap/);
        await db.query(LEAF_SCAN_SETTINGS);
        const set = await plan();
        expect(set).toMatch(/^Index Scan using leaf_plan_idx on audit_events/);
        // (A temporary table is never scanned in parallel, so the parallel-workers setting is not seen here.)
        expect(set).not.toMatch(/Sort|Bitmap|Seq Scan/);
        await db.query('COMMIT');
      } catch (err) {
        await db.query('ROLLBACK');
        throw err;
      }
      // Local to the transaction, even one that commits: the session's settings are as before.
      const after = (await db.query(`SELECT current_setting('enable_bitmapscan') AS b, current_setting('enable_seqscan') AS s, current_setting('enable_sort') AS o`)).rows[0];
      expect(after).toEqual({ b: 'on', s: 'on', o: 'on' });
    } finally {
      await db.query('DROP INDEX leaf_plan_idx');
    }
  });

  describe('reading the rows off the socket', () => {
    /** n events, some with a `details` far larger than a socket read, sealed with their hashes. */
    async function seed(n: number): Promise<LeafRow[]> {
      await db.query('TRUNCATE audit_events');
      await db.query(
        `INSERT INTO audit_events (occurred_at, actor_type, action, resource_type, outcome, details, leaf_index)
         SELECT now() - make_interval(secs => i), 'user', 'a' || i, 'y', 'success',
                CASE WHEN i % 97 = 5 THEN jsonb_build_object('big', repeat('é' || i, 20000)) ELSE jsonb_build_object('i', i) END, i
         FROM generate_series(0, $1::int - 1) i`,
        [n],
      );
      const rows = (await db.query<LeafRow>(`SELECT ${LEAF_COLUMNS} FROM audit_events a ORDER BY a.leaf_index`)).rows;
      await db.query(
        `UPDATE audit_events a SET leaf_hash = h.hash FROM unnest($1::bigint[], $2::bytea[]) AS h(i, hash) WHERE a.leaf_index = h.i`,
        [rows.map((r) => String(r.leaf_index)), rows.map((r) => hashLeafEvent(toLeafEvent(r, Number(r.leaf_index))))],
      );
      return rows;
    }

    /** Makes the client's socket deliver what it reads in pieces of 1 to `max` bytes (every split a real socket could make). */
    function splitReads(client: Client, max: number, seed: number): { pieces: number; bytes: number; restore(): void } {
      const stream = (client as unknown as { connection: { stream: NodeJS.EventEmitter } }).connection.stream;
      const emit = stream.emit;
      let x = seed;
      const out = { pieces: 0, bytes: 0, restore: () => void (stream.emit = emit) };
      stream.emit = function (this: NodeJS.EventEmitter, event: string | symbol, ...args: unknown[]) {
        if (event !== 'data') return emit.call(this, event, ...args);
        const buf = args[0] as Buffer;
        out.bytes += buf.length;
        for (let at = 0; at < buf.length; ) {
          x = (x * 1103515245 + 12345) % 2 ** 31;
          const n = 1 + (x % max);
          emit.call(this, 'data', buf.subarray(at, at + n));
          out.pieces++;
          at += n;
        }
        return true;
      } as typeof stream.emit;
      return out;
    }

    it('reads every row, whatever the socket reads split, and hands the connection back', async () => {
      const rows = await seed(300);
      for (const [max, seed_] of [
        [1, 1],
        [7, 2],
        [300, 3],
        [70_000, 4],
      ] as const) {
        const split = splitReads(db, max, seed_);
        try {
          const seen: string[] = [];
          await copyLeafRows(db, copyLeavesSql(0, 300), (r) => seen.push(r.leafBytes(r.index).toString('utf8')));
          expect(seen).toEqual(rows.map((row) => `\u0000${canonicalLeafJson(toLeafEvent(row, Number(row.leaf_index)))}`));
          const { result, rows: n } = await checkLeavesByCopy(db, 0, 300, [300]);
          expect(n).toBe(300);
          expect(result.failure).toBeUndefined();
          // node-postgres has its socket back: plain queries work, in the same read pieces
          expect((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]!.n).toBe('300');
          // the socket's reads really went through the splitting (about 800 kB)
          expect(split.bytes).toBeGreaterThan(500_000);
          expect(split.pieces).toBeGreaterThanOrEqual(split.bytes / max);
        } finally {
          split.restore();
        }
      }
    }, 60_000);

    it('rejects with the server\'s error when the COPY fails part-way, and the connection still works', async () => {
      await seed(200);
      const split = splitReads(db, 50, 9);
      try {
        const seen: number[] = [];
        // Fails as it writes its 151st row, after 150 rows (and the header) went out: a plain scan
        // (no sort, which would compute every row first) whose details fail from the 151st on.
        await db.query('CREATE TEMP SEQUENCE IF NOT EXISTS copy_rows');
        await db.query(`SELECT setval('copy_rows', 1, false)`);
        const failing = copyLeavesSql(0, 200)
          .replace(' ORDER BY a.leaf_index', '')
          .replace('a.details::text', `CASE WHEN nextval('copy_rows') <= 150 THEN a.details::text ELSE (1 / (a.leaf_index - a.leaf_index))::text END`);
        expect(failing).not.toContain('ORDER BY');
        await expect(copyLeafRows(db, failing, (r) => seen.push(r.index))).rejects.toThrow(/division by zero/);
        expect(seen).toHaveLength(150);
        expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
        expect(split.pieces).toBeGreaterThan(100);
      } finally {
        split.restore();
      }
    });

    it('rejects at node-postgres\' query_timeout and skips the rest of the COPY whole, so the connection still works', async () => {
      const slow = new Client({ connectionString: process.env.OIE_TEST_ADMIN_URL, query_timeout: 150 });
      await slow.connect();
      try {
        await slow.query(`CREATE TEMP TABLE audit_events (id bigserial, occurred_at timestamptz, actor_type text, actor_id text, organization_id uuid, action text,
          resource_type text, resource_id text, record_id uuid, outcome text, reason_code text, request_id text, source_ip text, details jsonb, leaf_index bigint, leaf_hash bytea)`);
        await slow.query(
          `INSERT INTO audit_events (occurred_at, actor_type, action, outcome, details, leaf_index) SELECT now(), 'user', 'a', 'success', jsonb_build_object('big', repeat('x', 3000)), i FROM generate_series(0, 399) i`,
        );
        // about 2 ms a row as it is written (a plain scan: no sort computes the rows first), so the
        // timeout fires while the server is still sending, mid-message more often than not
        const sql = copyLeavesSql(0, 400)
          .replace(' ORDER BY a.leaf_index', '')
          .replace('a.details::text', '(a.details::text || left(pg_sleep(0.002)::text, 0))');
        let rows = 0;
        await expect(copyLeafRows(slow, sql, () => rows++)).rejects.toThrow(/timeout/i);
        expect(rows).toBeLessThan(400);
        // the server finishes the COPY (about 0.8 s); the connection then answers as usual
        await new Promise((r) => setTimeout(r, 1500));
        expect((await slow.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      } finally {
        await slow.end();
      }
    });

    it('rejects with the reader\'s error, reads the rest of the COPY off the socket, and the connection still works', async () => {
      await seed(200);
      let calls = 0;
      await expect(
        copyLeafRows(db, copyLeavesSql(0, 200), () => {
          if (++calls === 10) throw new Error('stop here');
        }),
      ).rejects.toThrow('stop here');
      expect(calls).toBe(10);
      expect((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM audit_events')).rows[0]!.n).toBe('200');
    });
  });
});
