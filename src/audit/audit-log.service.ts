import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CompactSign, compactVerify } from 'jose';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { KeysService } from '../auth/keys.service';
import { DomainError } from '../common/domain-error';
import { hashLeafEvent, LEAF_COLUMNS, LeafRow, toLeafEvent } from './leaf';
import { CompactRange, Hash, rootOf, SubtreeCache } from './merkle';
import { checkpointText, ed25519Raw, ed25519Signer, NoteSigner, NoteVerifier, openNote, parseCheckpointText, parseNote, parseVerifierKey, SIG_ED25519, signNote, verifierKey } from './note';
import { CHUNK, ChunkResult, rowSource, verifyChunk } from './verify-chunk';
import { checkLeavesByCopy, LEAF_SCAN_SETTINGS } from './leaf-copy';
import type { ChunkTask } from './verify-worker';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PoolClient } from 'pg';

/** Advisory lock key held (per transaction) by whichever instance seals. */
export const SEAL_LOCK_KEY = 7_109_002;
const SEAL_BATCH = 5000;
const VERIFY_BATCH = 10_000;

export interface Checkpoint {
  treeSize: number;
  rootHash: string;
  time: string;
  keyId: string;
  signature: string;
  /** The same checkpoint as a C2SP signed note (c2sp.org/tlog-checkpoint), witnesses' cosignatures appended where asked. */
  note: string | null;
}

export interface VerifyReport {
  ok: boolean;
  treeSize: number;
  checkpointsVerified: number;
  firstBadIndex?: number;
  badCheckpoint?: number;
  reason?: string;
  /** Witnesses that cosigned the newest checkpoint (or a later consistent one), and how many must. */
  witnesses?: { cosigned: string[]; missing: string[]; quorum: number };
}

/** A checkpoint held outside the database: a witness's latest cosigned one, or a note a receipt carried. */
export interface ExternalCheckpoint {
  /** Who holds it, for the report ("witness audit-office.example/w1", "note 2"). */
  source: string;
  size: number;
  rootHash: Buffer;
  /** The witness whose cosignature it carries, when it counts towards the quorum. */
  witness?: string;
}

/** What the witnesses say, gathered just before a verification. */
export interface WitnessEvidence {
  /** The newest checkpoint when the witnesses were asked; a witness counts when it cosigned this size or more. */
  newestSize: number;
  checkpoints: ExternalCheckpoint[];
  /** Stored cosignatures: the largest tree size each witness cosigned, checked against the stored note at verify time. */
  configured: { name: string; verifier: NoteVerifier }[];
  quorum: number;
}

export interface WitnessSource {
  evidence(): Promise<WitnessEvidence>;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  created_at: Date;
  key_id: string;
  signature: string;
  note?: string | null;
  cosignatures?: string | null;
}

/** The columns a Checkpoint is read from (not the stored range, which only a starting sealer needs). */
const CHECKPOINT_COLUMNS = 'c.tree_size, c.root_hash, c.created_at, c.key_id, c.signature, c.note';

export function toCheckpoint(r: CheckpointRow): Checkpoint {
  return {
    treeSize: Number(r.tree_size),
    rootHash: r.root_hash.toString('base64'),
    time: new Date(r.created_at).toISOString(),
    keyId: r.key_id,
    signature: r.signature,
    note: r.note ? r.note + (r.cosignatures ?? '') : null,
  };
}

/** The payload a checkpoint signature covers. */
export function checkpointPayload(c: { treeSize: number; rootHash: string; time: string }): string {
  return JSON.stringify({ treeSize: c.treeSize, rootHash: c.rootHash, time: c.time });
}

/**
 * The tamper-evident log: a sealer gives unsealed events consecutive leaf indexes in commit order
 * and signs checkpoints; proofs and a full verification are computed from the stored events.
 */
@Injectable()
export class AuditLogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditLogService.name);
  private range = new CompactRange();
  private timer?: NodeJS.Timeout;
  private sealing?: Promise<number>;
  private signer?: NoteSigner;
  private witnessSource?: WitnessSource;
  private readonly sealedListeners: ((treeSize: number) => void)[] = [];
  /** Subtree roots for consistency proofs to witnesses (no full re-read per proof). */
  readonly subtrees = new SubtreeCache((from, to) => this.leafHashes(to, undefined, from));

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly keys: KeysService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sealNow().catch(() => undefined), this.config.auditSealIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sealing?.catch(() => undefined);
  }

  /** The note key: the checkpoint Ed25519 key under the origin's name (c2sp.org/signed-note type 0x01). */
  get noteSigner(): NoteSigner {
    this.signer ??= ed25519Signer(this.config.auditLogOrigin, this.keys.checkpoint.privateKey);
    return this.signer;
  }

  get origin(): string {
    return this.config.auditLogOrigin;
  }

  /** `<origin>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)>` */
  verifierKey(): string {
    return verifierKey(this.config.auditLogOrigin, SIG_ED25519, ed25519Raw(this.keys.checkpoint.publicKey));
  }

  noteVerifier(): NoteVerifier {
    return parseVerifierKey(this.verifierKey());
  }

  /** Called after each checkpoint this instance seals (the witness submitter listens). */
  onSealed(listener: (treeSize: number) => void): void {
    this.sealedListeners.push(listener);
  }

  attachWitnesses(source: WitnessSource): void {
    this.witnessSource = source;
  }

  /** Seals what is committed and unsealed now; answers how many events it sealed (0 when another instance holds the lock). */
  sealNow(): Promise<number> {
    this.sealing ??= this.seal().finally(() => (this.sealing = undefined));
    return this.sealing;
  }

  private async seal(): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [SEAL_LOCK_KEY])) as [{ locked: boolean }];
      if (!locked) {
        await runner.rollbackTransaction();
        return 0;
      }
      const [{ last }] = (await runner.query('SELECT coalesce(max(leaf_index), -1)::bigint::text AS last FROM audit_events')) as [{ last: string }];
      let next = Number(last) + 1;
      if (this.range.size > next) this.range = new CompactRange();
      if (this.range.size === 0 && next > 0) this.range = (await this.rangeFromCheckpoint(runner.query.bind(runner), next)) ?? this.range;
      if (this.range.size < next) {
        // Another instance sealed since: add only the leaves it added.
        // A batch at a time: after a restart that is every stored leaf, and holding them all at
        // once cost about 1.9 GB at 10 M events.
        await this.eachLeafHash(next, runner.query.bind(runner), this.range.size, (h) => this.range.append(h));
      }
      const rows = (await runner.query(
        `SELECT ${LEAF_COLUMNS} FROM audit_events a WHERE a.leaf_index IS NULL ORDER BY a.id LIMIT ${SEAL_BATCH} FOR UPDATE`,
      )) as LeafRow[];
      if (rows.length === 0) {
        await runner.commitTransaction();
        return 0;
      }
      const ids: string[] = [];
      const indexes: number[] = [];
      const hashes: Buffer[] = [];
      const staged = this.range.clone();
      for (const row of rows) {
        const h = hashLeafEvent(toLeafEvent(row, next));
        ids.push(row.id);
        indexes.push(next);
        hashes.push(h);
        staged.append(h);
        next++;
      }
      await runner.query(
        `UPDATE audit_events a SET leaf_index = v.idx, leaf_hash = v.h
           FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) AS v(id, idx, h) WHERE a.id = v.id`,
        [ids, indexes, hashes],
      );
      const time = new Date().toISOString();
      const root = staged.root();
      const key = this.keys.checkpoint;
      const payload = checkpointPayload({ treeSize: next, rootHash: root.toString('base64'), time });
      const signature = await new CompactSign(new TextEncoder().encode(payload)).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'oie-checkpoint' }).sign(key.privateKey);
      const note = signNote(checkpointText({ origin: this.config.auditLogOrigin, size: next, rootHash: root }), this.noteSigner);
      await runner.query(`INSERT INTO audit_checkpoints (tree_size, root_hash, created_at, key_id, signature, note, frontier) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        next,
        root,
        time,
        key.kid,
        signature,
        note,
        staged.frontier(),
      ]);
      await runner.commitTransaction();
      this.range = staged;
      for (const listener of this.sealedListeners) listener(next);
      return rows.length;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      this.range = new CompactRange(); // resynchronise next time
      this.logger.warn({ failure: { kind: (err as Error).name, sqlState: (err as { code?: string }).code } }, 'sealing failed; will retry');
      throw err;
    } finally {
      await runner.release();
    }
  }

  /**
   * The compact range of the newest checkpoint no larger than `upto` that has one, when it can be
   * trusted: its note verifies with this log's key and names this origin and size, and the range
   * gives the note's root. Else null (the caller reads every stored leaf hash, as before frontiers
   * were kept), with a warning when a frontier was there but did not fit.
   */
  private async rangeFromCheckpoint(query: (sql: string, params?: unknown[]) => Promise<unknown>, upto: number): Promise<CompactRange | null> {
    const [row] = (await query(
      // (ordered by the column, not by its text alias)
      `SELECT c.tree_size::text AS size, c.note, c.frontier FROM audit_checkpoints c WHERE c.frontier IS NOT NULL AND c.tree_size <= $1 ORDER BY c.tree_size DESC LIMIT 1`,
      [upto],
    )) as { size: string; note: string | null; frontier: Buffer }[];
    if (!row) return null;
    const size = Number(row.size);
    let root: Hash;
    try {
      const body = parseCheckpointText(openNote(row.note ?? '', [this.noteVerifier()]).text);
      if (body.origin !== this.config.auditLogOrigin || body.size !== size) throw new Error('another log or size');
      root = body.rootHash;
    } catch {
      // Not signed by the present key (it was rotated since), or the note was changed.
      this.logger.warn({ checkpoint: size }, 'the newest checkpoint\'s note does not verify with the present key; reading every stored leaf to continue the log');
      return null;
    }
    let range: CompactRange | null = null;
    try {
      range = CompactRange.fromFrontier(size, row.frontier);
    } catch {
      range = null;
    }
    if (range?.root().equals(root)) return range;
    // A signed checkpoint whose stored range is not its own: the table was changed.
    this.logger.error({ checkpoint: size }, 'the newest checkpoint\'s stored range does not give its signed root (audit_checkpoints was changed); reading every stored leaf to continue the log');
    return null;
  }

  /** Stored leaf hashes from..size-1 in order. */
  async leafHashes(size: number, query: (sql: string, params?: unknown[]) => Promise<unknown> = (s, p) => this.dataSource.query(s, p), from = 0): Promise<Hash[]> {
    const out: Hash[] = [];
    await this.eachLeafHash(size, query, from, (h) => out.push(h));
    return out;
  }

  /** Hands the stored leaf hashes from..size-1 to `each` in order, a batch at a time (nothing kept). */
  private async eachLeafHash(size: number, query: (sql: string, params?: unknown[]) => Promise<unknown>, from: number, each: (h: Hash) => void): Promise<void> {
    let at = from;
    while (at < size) {
      const rows = (await query(`SELECT leaf_hash FROM audit_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index`, [
        at,
        Math.min(size, at + VERIFY_BATCH),
      ])) as { leaf_hash: Buffer }[];
      if (rows.length === 0) break;
      for (const r of rows) each(r.leaf_hash);
      at += rows.length;
    }
  }

  private cachedCheckpoint?: { at: number; value: Promise<Checkpoint | null> };

  /**
   * The latest checkpoint, at most one second old (receipts carry it; a new one comes every second).
   * Concurrent callers share one read; a failed read is not kept.
   */
  recentCheckpoint(): Promise<Checkpoint | null> {
    const now = Date.now();
    if (this.cachedCheckpoint && now - this.cachedCheckpoint.at < 1000) return this.cachedCheckpoint.value;
    const entry = { at: now, value: this.latestCheckpoint() };
    this.cachedCheckpoint = entry;
    entry.value.catch(() => {
      if (this.cachedCheckpoint === entry) this.cachedCheckpoint = undefined;
    });
    return entry.value;
  }

  /** The latest checkpoint; its note carries the witnesses' cosignatures received so far. */
  async latestCheckpoint(): Promise<Checkpoint | null> {
    const rows = (await this.dataSource.query(
      `SELECT ${CHECKPOINT_COLUMNS}, (SELECT string_agg(s.signature_line, '' ORDER BY s.witness) FROM audit_cosignatures s WHERE s.tree_size = c.tree_size) AS cosignatures
         FROM audit_checkpoints c ORDER BY c.tree_size DESC LIMIT 1`,
    )) as CheckpointRow[];
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async checkpoints(query: { before?: string; limit?: number }): Promise<{ items: Checkpoint[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const rows = (await this.dataSource.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints c WHERE ($1::bigint IS NULL OR c.tree_size < $1::bigint) ORDER BY c.tree_size DESC LIMIT $2`,
      [query.before ?? null, limit + 1],
    )) as CheckpointRow[];
    const items = rows.slice(0, limit).map(toCheckpoint);
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.treeSize) : null };
  }

  async sealedSize(): Promise<number> {
    const [{ n }] = (await this.dataSource.query(`SELECT coalesce(max(leaf_index) + 1, 0)::bigint::text AS n FROM audit_events`)) as [{ n: string }];
    return Number(n);
  }

  /**
   * The inclusion proof of one leaf in the tree of a size, from the subtree cache: one hash per
   * 1,024 leaves is kept and only ragged edges read leaves, so a proof never reads the whole log.
   */
  async inclusion(index: number, treeSize: number) {
    if ((await this.sealedSize()) < treeSize) return null;
    const [leaf] = await this.leafHashes(index + 1, undefined, index);
    if (!leaf) return null;
    const proof = await this.subtrees.inclusionProof(index, treeSize);
    const cp = (await this.dataSource.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints c WHERE c.tree_size = $1`, [treeSize])) as CheckpointRow[];
    return {
      leafIndex: index,
      treeSize,
      leafHash: leaf.toString('base64'),
      proof: proof.map((h) => h.toString('base64')),
      rootHash: (await this.subtrees.rangeRoot(0, treeSize)).toString('base64'),
      checkpoint: cp[0] ? toCheckpoint(cp[0]) : null,
    };
  }

  /** The consistency proof between two tree sizes, from the subtree cache (see inclusion). */
  async consistency(from: number, to: number) {
    if ((await this.sealedSize()) < to) return null;
    return {
      from,
      to,
      proof: (await this.subtrees.consistencyProof(from, to)).map((h) => h.toString('base64')),
      fromRoot: (await this.subtrees.rangeRoot(0, from)).toString('base64'),
      toRoot: (await this.subtrees.rangeRoot(0, to)).toString('base64'),
    };
  }

  /**
   * Recomputes every leaf from its event and every checkpoint from the leaves, in one consistent
   * snapshot; checks that the newest checkpoint covers every sealed event, that every checkpoint
   * held outside (witnesses, receipts' notes) is no larger than the log and consistent with it,
   * and that enough witnesses cosigned. Answers the first failure.
   */
  async verify(opts: { notes?: ExternalCheckpoint[]; parallel?: boolean; chunk?: number } = {}): Promise<VerifyReport> {
    // One at a time per instance (each takes both cores and a connection per worker for seconds);
    // a few more wait their turn, and beyond that the caller is asked to come back.
    if (this.verifications >= VERIFY_AT_ONCE) throw new VerificationBusyError();
    this.verifications++;
    try {
      const run = this.verifyTurn.then(() => this.verifyOnce(opts));
      this.verifyTurn = run.then(
        () => undefined,
        () => undefined,
      );
      const report = await run;
      // The stored leaves or checkpoints are not what was sealed: the proofs' cached subtrees, read
      // from them earlier, are no evidence either (as after a witness refused a checkpoint).
      if (report.firstBadIndex !== undefined || report.badCheckpoint !== undefined) this.subtrees.reset();
      return report;
    } finally {
      this.verifications--;
    }
  }

  /** Verifications running or waiting on this instance, and the end of the last one asked for. */
  private verifications = 0;
  private verifyTurn: Promise<void> = Promise.resolve();

  private async verifyOnce(opts: { notes?: ExternalCheckpoint[]; parallel?: boolean; chunk?: number }): Promise<VerifyReport> {
    // `chunk` (a power of two; tests use small ones to cross many chunk boundaries on a small log).
    const chunk = opts.chunk ?? CHUNK;
    if (!(Number.isSafeInteger(chunk) && chunk > 0 && (chunk & (chunk - 1)) === 0)) throw new RangeError('chunk must be a power of two');
    const evidence = this.witnessSource ? await this.witnessSource.evidence() : undefined;
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const checkpoints = ((await runner.query(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints c ORDER BY c.tree_size`)) as CheckpointRow[]).map(toCheckpoint);
      const external = [...(evidence?.checkpoints ?? []), ...(opts.notes ?? [])];
      if (evidence) external.push(...(await this.storedCosignatures(runner.query.bind(runner), evidence.configured, checkpoints)));
      const verifier = new LogVerifier(checkpoints, (kid) => (this.keys.checkpoint.kid === kid ? this.keys.checkpoint.publicKey : undefined), {
        noteVerifier: this.noteVerifier(),
        origin: this.config.auditLogOrigin,
        external,
        quorum: evidence ? { required: evidence.quorum, newestSize: evidence.newestSize, witnesses: evidence.configured.map((w) => w.name) } : undefined,
      });
      const probes = verifier.probeSizes();
      const [{ n }] = (await runner.query(`SELECT coalesce(max(leaf_index) + 1, 0)::bigint::text AS n FROM audit_events`)) as [{ n: string }];
      const sealed = Number(n);
      const chunks = Array.from({ length: Math.ceil(sealed / chunk) }, (_, i) => ({ start: i * chunk, end: (i + 1) * chunk, probes }));
      if (opts.parallel ?? sealed > chunk) {
        const [{ snapshot }] = (await runner.query('SELECT pg_export_snapshot() AS snapshot')) as [{ snapshot: string }];
        const failure = await this.verifyInWorkers(chunks, snapshot, verifier);
        if (failure) return failure;
      } else {
        // The query runner's own pg client, so the leaves stream in the same snapshot.
        const client = (runner as unknown as { databaseConnection: PoolClient }).databaseConnection;
        await client.query(LEAF_SCAN_SETTINGS);
        for (const task of chunks) {
          const { result } = await checkLeavesByCopy(client, task.start, task.end, task.probes);
          const failure = await verifier.addChunk(result);
          if (failure) return failure;
        }
      }
      return verifier.finish({ requireCoverage: true });
    } finally {
      await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  /**
   * Verifies chunks in worker threads (one connection each, in the exported snapshot), joining the
   * results in order; memory stays bounded by the chunks in flight.
   */
  private async verifyInWorkers(chunks: ChunkTask[], snapshot: string, verifier: LogVerifier): Promise<VerifyReport | null> {
    const count = Math.max(1, Math.min(availableParallelism(), 4, chunks.length));
    const ts = __filename.endsWith('.ts');
    const file = join(__dirname, ts ? 'verify-worker.ts' : 'verify-worker.js');
    const workers = Array.from(
      { length: count },
      () =>
        new Worker(file, {
          workerData: { role: 'audit-verify', url: this.config.databaseUrl, snapshot },
          execArgv: ts ? ['-r', 'ts-node/register/transpile-only'] : [],
          // Every row makes short-lived garbage (digests as strings, the odd JS value of a `details`):
          // a young generation larger than a worker's default scavenges less often.
          resourceLimits: { maxYoungGenerationSizeMb: VERIFY_WORKER_YOUNG_MB },
        }),
    );
    const done = new Map<number, ChunkResult>();
    let nextTask = 0;
    let nextResult = 0;
    let failure: VerifyReport | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        let active = 0;
        // Chunks a worker holds (two each: the second waits in the worker, so none sits idle
        // waiting for this thread, busy with checkpoint signatures, between chunks), and at most
        // two per worker sent and not yet joined: memory stays bounded however far this thread
        // falls behind (a log sealed every second can have a checkpoint, and so two signature
        // checks, for every few leaves).
        const held = new Map<Worker, number>(workers.map((w) => [w, 0]));
        const ready = new Set<Worker>();
        const feed = () => {
          for (const w of ready) {
            while (!failure && nextTask < chunks.length && held.get(w)! < 2 && nextTask < nextResult + 2 * workers.length) {
              held.set(w, held.get(w)! + 1);
              active++;
              w.postMessage(chunks[nextTask++]);
            }
          }
        };
        const finished = () => {
          if (active === 0 && (failure || nextTask >= chunks.length)) resolve();
        };
        const drain = async () => {
          while (!failure && nextResult < chunks.length && done.has(chunks[nextResult]!.start)) {
            const r = done.get(chunks[nextResult]!.start)!;
            done.delete(chunks[nextResult]!.start);
            nextResult++;
            failure = await verifier.addChunk(r);
          }
        };
        let draining = Promise.resolve();
        for (const w of workers) {
          w.on('error', reject);
          w.on('message', (m: { ready?: boolean; ok?: boolean; result?: ChunkResult; error?: string }) => {
            if (m.ready) {
              ready.add(w);
              feed();
              return finished();
            }
            if (!m.ok) return reject(new Error(m.error ?? 'verify worker failed'));
            active--;
            held.set(w, held.get(w)! - 1);
            const r = reviveChunk(m.result!);
            done.set(r.start, r);
            feed();
            draining = draining
              .then(drain)
              .then(() => {
                feed(); // joining made room
                finished();
              }, reject);
          });
        }
      });
    } finally {
      for (const w of workers) void w.terminate();
    }
    return failure;
  }

  /** Each configured witness's largest stored cosignature, checked again against the stored note. */
  private async storedCosignatures(
    query: (sql: string, params?: unknown[]) => Promise<unknown>,
    witnesses: { name: string; verifier: NoteVerifier }[],
    checkpoints: Checkpoint[],
  ): Promise<ExternalCheckpoint[]> {
    const rows = (await query(
      // Ordered by the column (a bare `tree_size` would be the text alias: '9' after '10').
      `SELECT DISTINCT ON (s.witness) s.witness, s.tree_size::text AS tree_size, s.signature_line FROM audit_cosignatures s ORDER BY s.witness, s.tree_size DESC`,
    )) as { witness: string; tree_size: string; signature_line: string }[];
    const out: ExternalCheckpoint[] = [];
    for (const row of rows) {
      const w = witnesses.find((x) => x.name === row.witness);
      const cp = checkpoints.find((c) => c.treeSize === Number(row.tree_size));
      if (!w || !cp?.note) continue;
      try {
        const text = parseNote(cp.note).text;
        openNote(`${text}\n${row.signature_line}`, [w.verifier]);
        out.push({ source: `witness ${w.name} (stored cosignature)`, size: cp.treeSize, rootHash: Buffer.from(cp.rootHash, 'base64'), witness: w.name });
      } catch {
        // A stored line that does not verify is no evidence.
      }
    }
    return out;
  }
}

/** Verifications an instance takes at once: one running, the rest waiting their turn. */
const VERIFY_AT_ONCE = 3;

/** Asked to verify while VERIFY_AT_ONCE verifications are running or waiting. */
export class VerificationBusyError extends DomainError {
  readonly code = 'verification-busy';
  readonly status = 429;
  constructor() {
    super(`${VERIFY_AT_ONCE} verifications of the audit log are running or waiting on this instance; retry after Retry-After seconds.`);
    this.headers = { 'Retry-After': '30' };
  }
}

/** The young generation of a verification worker, in MB (see verifyInWorkers). */
const VERIFY_WORKER_YOUNG_MB = 128;

/** Buffers come back from a worker as plain Uint8Arrays. */
function reviveChunk(r: ChunkResult): ChunkResult {
  const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
  return { ...r, probes: r.probes.map((p) => ({ size: p.size, nodes: p.nodes.map((n) => ({ size: n.size, hash: buf(n.hash) })) })), end: r.end.map((n) => ({ size: n.size, hash: buf(n.hash) })) };
}

type KeyLookup = (kid: string) => import('node:crypto').KeyObject | Uint8Array | undefined | Promise<import('node:crypto').KeyObject | Uint8Array | undefined>;

interface VerifierOptions {
  /** Checks each checkpoint's note (signature, origin, size and root) where there is one. */
  noteVerifier?: NoteVerifier;
  origin?: string;
  /** Checkpoints held outside the database: each must be no larger than the log and consistent with it. */
  external?: ExternalCheckpoint[];
  quorum?: { required: number; newestSize: number; witnesses: string[] };
}

/**
 * Streams leaves in index order and checks, in this order: no gap, the leaf hash recomputed from the
 * event equals the stored one, and at each checkpoint size the root and the signatures. Shared by
 * POST /audit/verify and the offline verifier.
 */
export class LogVerifier {
  private readonly range = new CompactRange();
  private cpIndex = 0;
  private verified = 0;
  private readonly rootsAt = new Map<number, Hash>();
  /** A checkpoint root that failed: reported unless the leaves just after it name the exact bad index. */
  private pending?: { report: VerifyReport; from: number; upto: number; deadline: number };

  constructor(
    private readonly checkpoints: Checkpoint[],
    private readonly keyFor: KeyLookup,
    private readonly opts: VerifierOptions = {},
  ) {}

  /** Every size at which a root is needed. */
  probeSizes(): number[] {
    return [...new Set([...this.checkpoints.map((c) => c.treeSize), ...(this.opts.external ?? []).map((e) => e.size)])].sort((a, b) => a - b);
  }

  async add(row: LeafRow): Promise<VerifyReport | null> {
    const start = this.range.size;
    const result = verifyChunk(rowSource([row]), start, start + 1, this.probeSizes());
    return this.addChunk(result);
  }

  /** Joins the next chunk (results must come in order, each starting where the last ended). */
  async addChunk(result: ChunkResult): Promise<VerifyReport | null> {
    if (result.start !== this.range.size) return this.pending?.report ?? this.fail(this.range.size, `leaf ${this.range.size} is missing`);
    const base = this.range.clone();
    for (const probe of result.probes) {
      const at = base.clone();
      for (const n of probe.nodes) at.appendNode(n.size, n.hash);
      this.rootsAt.set(probe.size, at.root());
      const failure = await this.checkAt(probe.size, at.root());
      if (failure) return failure;
    }
    if (result.failure) {
      const f = result.failure;
      if (this.pending) {
        const p = this.pending;
        if (f.shiftedFrom !== undefined && f.shiftedFrom >= p.from && f.shiftedFrom < p.upto) return { ...this.fail(f.index, f.reason, result.start + result.count), badCheckpoint: p.report.badCheckpoint };
        return p.report;
      }
      // The leaves of this chunk before the bad one were checked too (whatever the chunk size).
      return this.fail(f.index, f.reason, result.start + result.count);
    }
    for (const n of result.end) this.range.appendNode(n.size, n.hash);
    if (this.pending && this.range.size >= this.pending.deadline) return this.pending.report;
    return null;
  }

  private async checkAt(size: number, root: Hash): Promise<VerifyReport | null> {
    while (this.cpIndex < this.checkpoints.length && this.checkpoints[this.cpIndex]!.treeSize === size) {
      const cp = this.checkpoints[this.cpIndex]!;
      const prev = this.cpIndex > 0 ? this.checkpoints[this.cpIndex - 1]!.treeSize : 0;
      if (this.pending) return null;
      if (root.toString('base64') !== cp.rootHash) {
        // Wait a few leaves: an event moved up by an insertion names the exact index.
        this.pending = {
          report: { ...this.fail(prev, `checkpoint ${cp.treeSize}: the root of the log does not match; the first bad leaf is at or after ${prev}`, size), badCheckpoint: cp.treeSize },
          from: prev,
          upto: cp.treeSize,
          deadline: cp.treeSize + 64,
        };
        return null;
      }
      if (!(await this.signatureOk(cp))) return { ...this.fail(prev, `checkpoint ${cp.treeSize}: the signature does not verify`, size), badCheckpoint: cp.treeSize };
      if (!this.noteOk(cp)) return { ...this.fail(prev, `checkpoint ${cp.treeSize}: its signed note does not verify or does not match`, size), badCheckpoint: cp.treeSize };
      this.verified++;
      this.cpIndex++;
    }
    return null;
  }

  private async signatureOk(cp: Checkpoint): Promise<boolean> {
    try {
      const key = await this.keyFor(cp.keyId);
      if (!key) return false;
      const { payload, protectedHeader } = await compactVerify(cp.signature, key, { algorithms: ['EdDSA'] });
      return protectedHeader.kid === cp.keyId && new TextDecoder().decode(payload) === checkpointPayload(cp);
    } catch {
      return false;
    }
  }

  private noteOk(cp: Checkpoint): boolean {
    if (!this.opts.noteVerifier || !cp.note) return true;
    try {
      const opened = openNote(cp.note, [this.opts.noteVerifier]);
      const body = parseCheckpointText(opened.text);
      return body.origin === this.opts.origin && body.size === cp.treeSize && body.rootHash.toString('base64') === cp.rootHash;
    } catch {
      return false;
    }
  }

  finish(opts: { requireCoverage?: boolean } = {}): VerifyReport {
    if (this.pending) return this.pending.report;
    const size = this.range.size;
    const pending = this.checkpoints[this.cpIndex];
    if (pending) return { ...this.fail(size, `checkpoint ${pending.treeSize} covers leaves that are missing from ${size} on`), badCheckpoint: pending.treeSize };
    const newest = this.checkpoints[this.checkpoints.length - 1]?.treeSize ?? 0;
    if (opts.requireCoverage && size > newest)
      return this.fail(newest, `leaves ${newest} to ${size - 1} are sealed but no checkpoint covers them (checkpoints after ${newest} were removed?)`);
    for (const e of [...(this.opts.external ?? [])].sort((a, b) => a.size - b.size)) {
      if (e.size > size)
        return { ...this.fail(size, `${e.source} holds a checkpoint of tree size ${e.size}, larger than the log (${size}): leaves from ${size} on are missing`), badCheckpoint: e.size };
      const root = e.size === 0 ? rootOf([]) : this.rootsAt.get(e.size);
      if (!root || !root.equals(e.rootHash))
        return { ok: false, treeSize: size, checkpointsVerified: this.verified, badCheckpoint: e.size, reason: `${e.source} holds a checkpoint of tree size ${e.size} whose root differs from the log's: the log was changed below ${e.size}` };
    }
    const report: VerifyReport = { ok: true, treeSize: size, checkpointsVerified: this.verified };
    const q = this.opts.quorum;
    if (q) {
      const cosigned = q.witnesses.filter((w) => (this.opts.external ?? []).some((e) => e.witness === w && e.size >= q.newestSize));
      const missing = q.witnesses.filter((w) => !cosigned.includes(w));
      report.witnesses = { cosigned, missing, quorum: q.required };
      if (cosigned.length < q.required)
        return { ...report, ok: false, reason: `only ${cosigned.length} of the ${q.required} required witnesses cosigned the newest checkpoint (tree size ${q.newestSize}); missing: ${missing.join(', ')}` };
    }
    return report;
  }

  /** A failure; `checked`: the leaves checked up to it (the same whatever the chunks). */
  private fail(index: number, reason: string, checked = this.range.size): VerifyReport {
    return { ok: false, treeSize: checked, checkpointsVerified: this.verified, firstBadIndex: index, reason };
  }
}
