import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Writable } from 'node:stream';
import { AuditFilterDto, AuditSearchDto } from './dto/audit-query.dto';
import { LEAF_COLUMNS, LeafRow } from './leaf';
import { actionsOf } from './actions';

const EXPORT_BATCH = 2000;

export function toEventView(r: LeafRow) {
  return {
    id: r.id,
    occurredAt: r.occurred_at,
    actorType: r.actor_type,
    actorId: r.actor_id,
    organizationId: r.organization_id,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    recordId: r.record_id,
    outcome: r.outcome,
    reasonCode: r.reason_code,
    requestId: r.request_id,
    sourceIp: r.source_ip,
    details: r.details ?? null,
    leafIndex: r.leaf_index === null ? null : Number(r.leaf_index),
    leafHash: r.leaf_hash ? r.leaf_hash.toString('base64') : null,
  };
}

export const CSV_COLUMNS = ['id', 'occurredAt', 'actorType', 'actorId', 'organizationId', 'action', 'resourceType', 'resourceId', 'recordId', 'outcome', 'reasonCode', 'requestId', 'sourceIp', 'details', 'leafIndex', 'leafHash'] as const;

/**
 * One CSV cell: null is an empty unquoted cell, anything else is quoted ("" inside), objects as
 * JSON. A value that starts with = + - @ TAB CR (a spreadsheet formula) or ' gets one leading ',
 * so a reader removes exactly one leading ' from any quoted cell that starts with one.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v as string | number | boolean);
  const safe = /^[=+\-@\t\r']/.test(s) ? `'${s}` : s;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One exported event as a CSV line; `details` is always its JSON text (so a string value is quoted JSON too). */
export function csvLine(v: ReturnType<typeof toEventView>): string {
  return CSV_COLUMNS.map((c) => csvCell(c === 'details' && v.details !== null ? JSON.stringify(v.details) : v[c])).join(',') + '\n';
}

/** Search and export of audit events for auditors: keyset pages, bounded memory. */
@Injectable()
export class AuditQueryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private where(f: AuditFilterDto, params: unknown[]): string[] {
    const clauses: string[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('?', `$${params.length}`));
    };
    if (f.actor) add('a.actor_id = ?', f.actor);
    if (f.org) add('a.organization_id = ?', f.org);
    if (f.action) add('a.action = ?', f.action);
    if (f.group) add('a.action = ANY(?)', actionsOf(f.group));
    // A name resolves to ids first (ActorDirectory); unresolved, it matches nothing rather than everything.
    if (f.actorIds || f.actorName !== undefined) add('a.actor_id = ANY(?)', f.actorIds ?? []);
    if (f.resource) add('a.resource_type = ?', f.resource);
    if (f.record) add('a.record_id = ?', f.record);
    if (f.outcome) add('a.outcome = ?', f.outcome);
    if (f.from) add('a.occurred_at >= ?', new Date(f.from));
    if (f.to) add('a.occurred_at < ?', new Date(f.to));
    return clauses;
  }

  /**
   * Newest first by (occurred_at, id); the cursor is the last id seen. Each filter column has an
   * index on (column, occurred_at, id), so a filter alone, or with a time window however far in
   * the past, reads one short index range in this order and stops at the page's end. The cursor's
   * time is looked up by its id (one primary-key read) and bounds the range from above.
   */
  async search(q: AuditSearchDto) {
    const params: unknown[] = [];
    const clauses = this.where(q, params);
    if (q.cursor) {
      params.push(q.cursor);
      const c = `$${params.length}::bigint`;
      clauses.push(`(a.occurred_at, a.id) < ((SELECT c.occurred_at FROM audit_events c WHERE c.id = ${c}), ${c})`);
    }
    const limit = q.limit ?? 100;
    const rows = (await this.dataSource.query(
      `SELECT ${LEAF_COLUMNS} FROM audit_events a ${clauses.length ? 'WHERE ' + clauses.join(' AND ') : ''} ORDER BY a.occurred_at DESC, a.id DESC LIMIT ${limit + 1}`,
      params,
    )) as LeafRow[];
    const items = rows.slice(0, limit).map(toEventView);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /**
   * For each event id, the cursor that opens the newest-first search with that event at the top:
   * the id of the event just after it in (occurred_at, id) order, or null when it is the newest
   * (no cursor needed). Events that do not exist are left out.
   */
  async cursorsAt(ids: string[]): Promise<Map<string, string | null>> {
    if (!ids.length) return new Map();
    const rows = (await this.dataSource.query(
      `SELECT e.id::text AS id,
              (SELECT n.id::text FROM audit_events n WHERE (n.occurred_at, n.id) > (e.occurred_at, e.id) ORDER BY n.occurred_at, n.id LIMIT 1) AS cursor
         FROM audit_events e WHERE e.id = ANY($1::bigint[])`,
      [ids],
    )) as { id: string; cursor: string | null }[];
    return new Map(rows.map((r) => [r.id, r.cursor]));
  }

  /**
   * Streams matching events in log order (sealed events by leaf index, then unsealed by id), page by
   * page, waiting for the client to drain: memory stays flat however long the log is.
   */
  async export(f: AuditFilterDto, format: 'ndjson' | 'csv', out: Writable): Promise<number> {
    // One snapshot for every page: events sealed while the export runs are neither lost nor repeated.
    const runner = this.dataSource.createQueryRunner('slave');
    await runner.connect();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await runner.query('SET TRANSACTION READ ONLY');
      const count = await this.exportPages(f, format, out, (sql, params) => runner.query(sql, params));
      await runner.commitTransaction();
      return count;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  private async exportPages(f: AuditFilterDto, format: 'ndjson' | 'csv', out: Writable, query: (sql: string, params: unknown[]) => Promise<unknown>): Promise<number> {
    const write = (chunk: string) => (out.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => out.once('drain', resolve)));
    if (format === 'csv') await write(CSV_COLUMNS.join(',') + '\n');
    let count = 0;
    let afterLeaf = -1;
    let afterId = '0';
    for (const phase of ['sealed', 'unsealed'] as const) {
      for (;;) {
        const params: unknown[] = [];
        const clauses = this.where(f, params);
        if (phase === 'sealed') {
          params.push(afterLeaf);
          clauses.push(`a.leaf_index > $${params.length}`);
        } else {
          params.push(afterId);
          clauses.push(`a.leaf_index IS NULL AND a.id > $${params.length}`);
        }
        const order = phase === 'sealed' ? 'a.leaf_index' : 'a.id';
        const rows = (await query(`SELECT ${LEAF_COLUMNS} FROM audit_events a WHERE ${clauses.join(' AND ')} ORDER BY ${order} LIMIT ${EXPORT_BATCH}`, params)) as LeafRow[];
        if (rows.length === 0) break;
        let chunk = '';
        for (const r of rows) {
          const v = toEventView(r);
          chunk += format === 'csv' ? csvLine(v) : JSON.stringify(v) + '\n';
        }
        await write(chunk);
        count += rows.length;
        const last = rows[rows.length - 1]!;
        if (phase === 'sealed') afterLeaf = Number(last.leaf_index);
        else afterId = last.id;
        if (rows.length < EXPORT_BATCH) break;
      }
    }
    return count;
  }
}
