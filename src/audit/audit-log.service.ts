import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { CompactSign, compactVerify, importJWK } from 'jose';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { KeysService } from '../auth/keys.service';
import { hashLeafEvent, LEAF_COLUMNS, LeafRow, toLeafEvent } from './leaf';
import { CompactRange, consistencyProof, Hash, inclusionProof, rootOf } from './merkle';

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
}

export interface VerifyReport {
  ok: boolean;
  treeSize: number;
  checkpointsVerified: number;
  firstBadIndex?: number;
  badCheckpoint?: number;
  reason?: string;
}

interface CheckpointRow {
  tree_size: string;
  root_hash: Buffer;
  created_at: Date;
  key_id: string;
  signature: string;
}

export function toCheckpoint(r: CheckpointRow): Checkpoint {
  return { treeSize: Number(r.tree_size), rootHash: r.root_hash.toString('base64'), time: new Date(r.created_at).toISOString(), keyId: r.key_id, signature: r.signature };
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
      if (this.range.size < next) {
        // Another instance sealed since: add only the leaves it added.
        for (const h of await this.leafHashes(next, runner.query.bind(runner), this.range.size)) this.range.append(h);
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
      await runner.query(`INSERT INTO audit_checkpoints (tree_size, root_hash, created_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)`, [next, root, time, key.kid, signature]);
      await runner.commitTransaction();
      this.range = staged;
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

  /** Stored leaf hashes from..size-1 in order. */
  async leafHashes(size: number, query: (sql: string, params?: unknown[]) => Promise<unknown> = (s, p) => this.dataSource.query(s, p), from = 0): Promise<Hash[]> {
    const out: Hash[] = [];
    while (from + out.length < size) {
      const start = from + out.length;
      const rows = (await query(
        `SELECT leaf_hash FROM audit_events WHERE leaf_index >= $1 AND leaf_index < $2 ORDER BY leaf_index`,
        [start, Math.min(size, start + VERIFY_BATCH)],
      )) as { leaf_hash: Buffer }[];
      if (rows.length === 0) break;
      for (const r of rows) out.push(r.leaf_hash);
    }
    return out;
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

  async latestCheckpoint(): Promise<Checkpoint | null> {
    const rows = (await this.dataSource.query(`SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`)) as CheckpointRow[];
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  async checkpoints(query: { before?: string; limit?: number }): Promise<{ items: Checkpoint[]; nextCursor: string | null }> {
    const limit = query.limit ?? 50;
    const rows = (await this.dataSource.query(
      `SELECT * FROM audit_checkpoints WHERE ($1::bigint IS NULL OR tree_size < $1::bigint) ORDER BY tree_size DESC LIMIT $2`,
      [query.before ?? null, limit + 1],
    )) as CheckpointRow[];
    const items = rows.slice(0, limit).map(toCheckpoint);
    return { items, nextCursor: rows.length > limit ? String(items[items.length - 1]!.treeSize) : null };
  }

  async sealedSize(): Promise<number> {
    const [{ n }] = (await this.dataSource.query(`SELECT coalesce(max(leaf_index) + 1, 0)::bigint::text AS n FROM audit_events`)) as [{ n: string }];
    return Number(n);
  }

  async inclusion(index: number, treeSize: number) {
    const leaves = await this.leafHashes(treeSize);
    if (leaves.length < treeSize) return null;
    const proof = inclusionProof(index, leaves);
    const cp = (await this.dataSource.query(`SELECT * FROM audit_checkpoints WHERE tree_size = $1`, [treeSize])) as CheckpointRow[];
    return {
      leafIndex: index,
      treeSize,
      leafHash: leaves[index]!.toString('base64'),
      proof: proof.map((h) => h.toString('base64')),
      rootHash: rootOf(leaves).toString('base64'),
      checkpoint: cp[0] ? toCheckpoint(cp[0]) : null,
    };
  }

  async consistency(from: number, to: number) {
    const leaves = await this.leafHashes(to);
    if (leaves.length < to) return null;
    return {
      from,
      to,
      proof: consistencyProof(from, leaves).map((h) => h.toString('base64')),
      fromRoot: rootOf(leaves.slice(0, from)).toString('base64'),
      toRoot: rootOf(leaves).toString('base64'),
    };
  }

  /** Recomputes every leaf from its event and every checkpoint from the leaves; answers the first failure. */
  async verify(): Promise<VerifyReport> {
    const checkpoints = ((await this.dataSource.query(`SELECT * FROM audit_checkpoints ORDER BY tree_size`)) as CheckpointRow[]).map(toCheckpoint);
    const verifier = new LogVerifier(checkpoints, (kid) => this.keys.checkpoint.kid === kid ? this.keys.checkpoint.publicKey : undefined);
    let after = -1;
    for (;;) {
      const rows = (await this.dataSource.query(
        `SELECT ${LEAF_COLUMNS} FROM audit_events a WHERE a.leaf_index > $1 ORDER BY a.leaf_index LIMIT ${VERIFY_BATCH}`,
        [after],
      )) as LeafRow[];
      for (const row of rows) {
        const failure = await verifier.add(row);
        if (failure) return failure;
      }
      if (rows.length < VERIFY_BATCH) break;
      after = Number(rows[rows.length - 1]!.leaf_index);
    }
    return verifier.finish();
  }
}

type KeyLookup = (kid: string) => import('node:crypto').KeyObject | Uint8Array | undefined | Promise<import('node:crypto').KeyObject | Uint8Array | undefined>;

/**
 * Streams leaves in index order and checks, in this order: no gap, the leaf hash recomputed from the
 * event equals the stored one, and at each checkpoint size the root and the signature. Shared by
 * POST /audit/verify and the offline verifier.
 */
export class LogVerifier {
  private readonly range = new CompactRange();
  private cpIndex = 0;
  private verified = 0;

  constructor(
    private readonly checkpoints: Checkpoint[],
    private readonly keyFor: KeyLookup,
  ) {}

  async add(row: LeafRow): Promise<VerifyReport | null> {
    const expected = this.range.size;
    const index = Number(row.leaf_index);
    if (index !== expected) return this.fail(expected, index > expected ? `leaf ${expected} is missing` : `leaf ${index} appears twice`);
    const recomputed = hashLeafEvent(toLeafEvent(row, index));
    if (!row.leaf_hash || !recomputed.equals(row.leaf_hash)) return this.fail(index, `event at leaf ${index} does not match its sealed hash (changed, swapped or inserted)`);
    this.range.append(recomputed);
    return this.checkAt(this.range.size);
  }

  private async checkAt(size: number): Promise<VerifyReport | null> {
    while (this.cpIndex < this.checkpoints.length && this.checkpoints[this.cpIndex]!.treeSize === size) {
      const cp = this.checkpoints[this.cpIndex]!;
      const prev = this.cpIndex > 0 ? this.checkpoints[this.cpIndex - 1]!.treeSize : 0;
      if (this.range.root().toString('base64') !== cp.rootHash)
        return { ...this.fail(prev, `checkpoint ${cp.treeSize}: the root of the log does not match; the first bad leaf is at or after ${prev}`), badCheckpoint: cp.treeSize };
      if (!(await this.signatureOk(cp))) return { ...this.fail(prev, `checkpoint ${cp.treeSize}: the signature does not verify`), badCheckpoint: cp.treeSize };
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

  finish(): VerifyReport {
    const pending = this.checkpoints[this.cpIndex];
    if (pending) return { ...this.fail(this.range.size, `checkpoint ${pending.treeSize} covers leaves that are missing from ${this.range.size} on`), badCheckpoint: pending.treeSize };
    return { ok: true, treeSize: this.range.size, checkpointsVerified: this.verified };
  }

  private fail(index: number, reason: string): VerifyReport {
    return { ok: false, treeSize: this.range.size, checkpointsVerified: this.verified, firstBadIndex: index, reason };
  }
}

export async function jwkKeyLookup(jwks: { keys: Record<string, unknown>[] }): Promise<KeyLookup> {
  return async (kid: string) => {
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk) return undefined;
    const key = await importJWK(jwk as unknown as Parameters<typeof importJWK>[0], 'EdDSA');
    return key as import('node:crypto').KeyObject | Uint8Array;
  };
}
