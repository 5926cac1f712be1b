import type { RecordCipher } from './record-fields';

/** Something that runs one statement (a pg Pool or Client, or a TypeORM manager's query). */
export type Query = (sql: string, params?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;

export interface RotationReport {
  /** The KEK every data key is now meant to be wrapped under. */
  activeKekId: string;
  rewrapped: number;
  /** Rows rewritten by someone else between read and write (sealed anew, so not re-wrapped here). */
  skipped: number;
  /** Data keys still under another KEK after the pass (0 unless writers still use an older active KEK). */
  remaining: number;
  batches: number;
}

/**
 * Re-wraps every live data key of release records under the active KEK while the service runs: a
 * pass in id order, one batch at a time; each batch is one UPDATE, so each row changes atomically
 * (kek_id and dek_wrapped together). A row is only updated if its wrapped key is still the one read
 * (a record written meanwhile already has a fresh key under the active KEK). Readers unwrap with
 * whichever KEK a row names, so they work before, during and after. Values are never re-encrypted.
 */
export async function rewrapRecordKeys(query: Query, cipher: RecordCipher, opts: { batchSize?: number; pauseMs?: number } = {}): Promise<RotationReport> {
  const batchSize = opts.batchSize ?? 500;
  const active = cipher.activeKekId;
  let last = '00000000-0000-0000-0000-000000000000';
  const report: RotationReport = { activeKekId: active, rewrapped: 0, skipped: 0, remaining: 0, batches: 0 };
  for (;;) {
    const { rows } = await query(
      `SELECT id, kek_id, dek_wrapped FROM release_records
        WHERE id > $1 AND dek_wrapped IS NOT NULL AND kek_id <> $2 ORDER BY id LIMIT $3`,
      [last, active, batchSize],
    );
    if (rows.length === 0) break;
    last = rows[rows.length - 1]!.id as string;
    const ids: string[] = [];
    const old: Buffer[] = [];
    const fresh: Buffer[] = [];
    for (const r of rows) {
      const key = await cipher.rewrap(r.id as string, { kekId: r.kek_id as string, wrapped: r.dek_wrapped as Buffer });
      ids.push(r.id as string);
      old.push(r.dek_wrapped as Buffer);
      fresh.push(key.wrapped);
    }
    const updated = await query(
      `UPDATE release_records rec SET kek_id = $1, dek_wrapped = u.fresh
         FROM unnest($2::uuid[], $3::bytea[], $4::bytea[]) AS u(id, old, fresh)
        WHERE rec.id = u.id AND rec.dek_wrapped = u.old
        RETURNING rec.id`,
      [active, ids, old, fresh],
    );
    report.batches += 1;
    report.rewrapped += updated.rows.length;
    report.skipped += rows.length - updated.rows.length;
    if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
  }
  const { rows } = await query(`SELECT count(*)::int AS n FROM release_records WHERE dek_wrapped IS NOT NULL AND kek_id <> $1`, [active]);
  report.remaining = rows[0]!.n as number;
  return report;
}
