import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { parse as parseCsv } from 'csv-parse/sync';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import type { Actor } from '../auth/actor';
import { AuditService } from '../audit/audit.service';
import { BadRequestError, NotFoundError, RuleViolationError } from '../common/domain-error';
import { decodeCursor, encodeCursor, Page } from '../common/dto/pagination.dto';
import { TransactionHost, Transactional, TypeOrmAdapter } from '../database/transaction';
import { isValidLocalGovernmentCode } from '../organizations/local-government-code';
import { AGENCY_KINDS } from '../organizations/organization.entity';
import { ReleaseRecordDto, UpdateReleaseRecordDto } from './dto/release-record.dto';
import { IsNull } from 'typeorm';
import { nameKey, newRecordRef } from './names';
import { unsafeJson } from '../common/body-parsers';
import { flatten } from '../common/validation';
import { ReleaseRecord } from './release-record.entity';
import { Clock } from '../common/clock';
import {
  fromOpened,
  matchIndex,
  RECORD_CIPHER,
  retentionBasis,
  SEALED_COLUMNS,
  toSealable,
} from '../crypto/record-fields';
import type { RecordCipher, RecordPersonal, SealedColumn } from '../crypto/record-fields';

export const MAX_IMPORT_LINES = 10_000;
const IMPORT_BATCH = 500;

export interface ImportLine {
  line: number;
  status: 'created' | 'updated' | 'rejected';
  id?: string;
  recordRef?: string;
  errors?: { field: string; message: string }[];
}

export function toRecordView(r: ReleaseRecord, p: RecordPersonal) {
  return {
    id: r.id,
    recordRef: r.recordRef,
    externalRef: r.externalRef!,
    holderOrganizationId: r.holderOrgId,
    fullName: p.fullName,
    fullNameKana: p.fullNameKana,
    birthDate: p.birthDate,
    sex: p.sex,
    releaseDate: p.releaseDate,
    releaseType: p.releaseType,
    facilityName: p.facilityName,
    admissionDate: p.admissionDate,
    plannedResidence: { address: p.residenceAddress, localGovernmentCode: r.residenceCode! },
    supervision: p.supervision,
    supportNeeds: p.supportNeeds,
    offense: p.offense,
    consents: p.consents,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

/** The entity property of a sealed column (`full_name_enc` → `fullNameEnc`). */
const propertyOf = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof ReleaseRecord;

/** The person's fields of a DTO, as they are sealed. */
function personalOf(dto: ReleaseRecordDto): RecordPersonal {
  return {
    fullName: dto.fullName,
    fullNameKana: dto.fullNameKana ?? null,
    birthDate: dto.birthDate,
    sex: dto.sex,
    releaseDate: dto.releaseDate,
    releaseType: dto.releaseType,
    facilityName: dto.facilityName ?? null,
    admissionDate: dto.admissionDate ?? null,
    residenceAddress: dto.plannedResidence.address,
    supervision: dto.supervision ?? null,
    supportNeeds: dto.supportNeeds ?? null,
    offense: dto.offense ?? null,
    consents: (dto.consents ?? []) as RecordPersonal['consents'],
  };
}

const MATCH_CANDIDATES = 50;
const ERASE_BATCH = 500;
export type RecordView = ReturnType<typeof toRecordView>;

/** CSV cells with dotted names become nested objects; `;` separates list cells; consents is JSON. */
function csvRowToObject(row: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [column, raw] of Object.entries(row)) {
    if (raw === '' || raw === undefined) continue;
    const path = column.split('.');
    if (path.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype' || p === '')) throw new Error(`bad column ${column.slice(0, 40)}`);
    let value: unknown = raw;
    if (column === 'supportNeeds.needs') value = raw.split(';').map((s) => s.trim()).filter(Boolean);
    if (column === 'consents') value = JSON.parse(raw);
    let node = out;
    for (const key of path.slice(0, -1)) {
      node[key] ??= Object.create(null);
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

@Injectable()
export class ReleaseRecordsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly txHost: TransactionHost<TypeOrmAdapter>,
    private readonly audit: AuditService,
    @Inject(RECORD_CIPHER) private readonly cipher: RecordCipher,
    private readonly clock: Clock,
  ) {}

  private get repo() {
    return this.txHost.tx.getRepository(ReleaseRecord);
  }

  /**
   * Another holder's record, or none: a refused attempt, on record (on its own connection, as the
   * transaction rolls back) with the id asked for only, and answered as a plain 404.
   */
  async notVisible(action: string, id: string): Promise<never> {
    await this.audit.recordDetached({ action, resourceType: 'release_record', resourceId: id, outcome: 'denied', reasonCode: 'not-found' });
    throw new NotFoundError('release record').markAudited();
  }

  private assertHolder(actor: Actor): void {
    if (!AGENCY_KINDS.includes(actor.orgKind)) throw new RuleViolationError('not-a-holder', 'Only correctional facilities and probation offices hold release records.');
  }

  private checkRules(dto: Partial<ReleaseRecordDto>): { field: string; message: string }[] {
    const errors: { field: string; message: string }[] = [];
    if (dto.plannedResidence && !isValidLocalGovernmentCode(dto.plannedResidence.localGovernmentCode))
      errors.push({ field: 'plannedResidence.localGovernmentCode', message: 'not a valid local government code (check digit)' });
    if (dto.admissionDate && dto.releaseDate && dto.admissionDate > dto.releaseDate) errors.push({ field: 'admissionDate', message: 'after the release date' });
    if (dto.birthDate && dto.birthDate > new Date().toISOString().slice(0, 10)) errors.push({ field: 'birthDate', message: 'in the future' });
    return errors;
  }

  /**
   * Inserts or updates by (holder, externalRef). The row id is known before sealing (the AAD binds
   * every value to it), so an existing row is looked up and locked first; every write seals under a
   * fresh data key wrapped by the active KEK.
   */
  private async upsert(holderOrgId: string, dto: ReleaseRecordDto): Promise<{ id: string; recordRef: string; created: boolean }> {
    const personal = personalOf(dto);
    const name = nameKey(dto.fullName);
    const nameBidx = matchIndex(this.cipher, name, dto.birthDate);
    const kanaBidx = dto.fullNameKana ? matchIndex(this.cipher, nameKey(dto.fullNameKana), dto.birthDate) : null;
    const cols = SEALED_COLUMNS;
    for (let attempt = 0; attempt < 3; attempt++) {
      const [existing] = (await this.txHost.tx.query(
        `SELECT id, record_ref FROM release_records WHERE holder_org_id = $1 AND external_ref = $2 AND erased_at IS NULL FOR UPDATE`,
        [holderOrgId, dto.externalRef],
      )) as { id: string; record_ref: string }[];
      const id = existing?.id ?? randomUUID();
      const { key, sealed } = await this.cipher.seal(id, toSealable(personal));
      const common = [dto.plannedResidence.localGovernmentCode, retentionBasis(personal), key.kekId, key.wrapped, nameBidx, kanaBidx, ...cols.map((c) => sealed[c])];
      let row: { id: string; record_ref: string } | undefined;
      if (existing) {
        const [rows] = (await this.txHost.tx.query(
          `UPDATE release_records SET residence_code = $2, retain_from = $3, kek_id = $4, dek_wrapped = $5, name_bidx = $6, kana_bidx = $7,
              ${cols.map((c, i) => `${c} = $${i + 8}`).join(', ')}, updated_at = now()
            WHERE id = $1 RETURNING id, record_ref`,
          [id, ...common],
        )) as [{ id: string; record_ref: string }[], number];
        row = rows[0];
      } else {
        const rows = (await this.txHost.tx.query(
          `INSERT INTO release_records (id, holder_org_id, external_ref, record_ref, residence_code, retain_from, kek_id, dek_wrapped, name_bidx, kana_bidx, ${cols.join(', ')})
           VALUES ($1, $2, $3, $4, ${common.map((_, i) => `$${i + 5}`).join(', ')})
           ON CONFLICT (holder_org_id, external_ref) DO NOTHING RETURNING id, record_ref`,
          [id, holderOrgId, dto.externalRef, newRecordRef(), ...common],
        )) as { id: string; record_ref: string }[];
        row = rows[0];
        if (!row) continue; // a concurrent write created it first: update that one
      }
      const created = !existing;
      await this.audit.record({ action: created ? 'record.create' : 'record.update', resourceType: 'release_record', resourceId: row!.id, recordId: row!.id });
      return { id: row!.id, recordRef: row!.record_ref, created };
    }
    throw new Error('the record kept changing while it was written');
  }

  /** Opens the person's fields of a stored record (in memory only). */
  async open(r: ReleaseRecord): Promise<RecordPersonal> {
    if (!r.kekId || !r.dekWrapped) throw new NotFoundError('release record');
    const sealed = {} as Record<SealedColumn, Buffer | null>;
    for (const c of SEALED_COLUMNS) sealed[c] = (r[propertyOf(c)] as Buffer | null) ?? null;
    return fromOpened(await this.cipher.open(r.id, { kekId: r.kekId, wrapped: r.dekWrapped }, sealed));
  }

  /** Only the consents of a record (the holder's console shows them beside a request); none once erased. */
  async consentsOf(r: ReleaseRecord): Promise<RecordPersonal['consents']> {
    if (!r.kekId || !r.dekWrapped || !r.consentsEnc) return [];
    const opened = await this.cipher.open(r.id, { kekId: r.kekId, wrapped: r.dekWrapped }, { consents_enc: r.consentsEnc });
    return opened.consents_enc ? (JSON.parse(opened.consents_enc) as RecordPersonal['consents']) : [];
  }

  private async view(r: ReleaseRecord): Promise<RecordView> {
    return toRecordView(r, await this.open(r));
  }

  @Transactional()
  async createOrUpdate(actor: Actor, dto: ReleaseRecordDto): Promise<{ created: boolean; record: RecordView }> {
    this.assertHolder(actor);
    const errors = this.checkRules(dto);
    if (errors.length) throw new RuleViolationError('invalid-record', 'The record breaks a rule.', errors);
    const { id, created } = await this.upsert(actor.orgId, dto);
    const record = await this.repo.findOneByOrFail({ id });
    return { created, record: await this.view(record) };
  }

  @Transactional()
  async update(actor: Actor, id: string, dto: UpdateReleaseRecordDto): Promise<RecordView> {
    this.assertHolder(actor);
    const r = await this.repo.findOne({ where: { id, holderOrgId: actor.orgId, erasedAt: IsNull() }, lock: { mode: 'pessimistic_write' } });
    if (!r) return this.notVisible('record.update', id);
    const p = await this.open(r);
    const merged: ReleaseRecordDto = {
      externalRef: r.externalRef!,
      fullName: dto.fullName ?? p.fullName,
      fullNameKana: dto.fullNameKana ?? p.fullNameKana ?? undefined,
      birthDate: dto.birthDate ?? p.birthDate,
      sex: dto.sex ?? p.sex,
      releaseDate: dto.releaseDate ?? p.releaseDate,
      releaseType: dto.releaseType ?? p.releaseType,
      facilityName: dto.facilityName ?? p.facilityName ?? undefined,
      admissionDate: dto.admissionDate ?? p.admissionDate ?? undefined,
      plannedResidence: dto.plannedResidence ?? { address: p.residenceAddress, localGovernmentCode: r.residenceCode! },
      supervision: dto.supervision ?? p.supervision ?? undefined,
      supportNeeds: dto.supportNeeds ?? p.supportNeeds ?? undefined,
      offense: dto.offense ?? p.offense ?? undefined,
      consents: dto.consents ?? (p.consents as ReleaseRecordDto['consents']),
    };
    const errors = this.checkRules(merged);
    if (errors.length) throw new RuleViolationError('invalid-record', 'The record breaks a rule.', errors);
    await this.upsert(actor.orgId, merged);
    return this.view(await this.repo.findOneByOrFail({ id }));
  }

  /** Holder's staff only; the read is audited with the record id. An erased record is not found. */
  @Transactional()
  async get(actor: Actor, id: string): Promise<RecordView> {
    const r = await this.repo.findOneBy({ id, holderOrgId: actor.orgId, erasedAt: IsNull() });
    if (!r) return this.notVisible('record.read', id);
    await this.audit.record({ action: 'record.read', resourceType: 'release_record', resourceId: id, recordId: id });
    return this.view(r);
  }

  @Transactional()
  async list(actor: Actor, query: { cursor?: string; limit?: number; externalRef?: string }): Promise<Page<RecordView>> {
    const limit = query.limit ?? 50;
    const qb = this.repo
      .createQueryBuilder('r')
      .where('r.holder_org_id = :org AND r.erased_at IS NULL', { org: actor.orgId })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1);
    if (query.externalRef) qb.andWhere('r.external_ref = :ref', { ref: query.externalRef });
    const cursor = decodeCursor(query.cursor);
    if (cursor) qb.andWhere('(r.created_at, r.id) < (:t, :id)', { t: cursor.time, id: cursor.id });
    const rows = await qb.getMany();
    const items = rows.slice(0, limit);
    await this.audit.record({ action: 'record.list', resourceType: 'release_record', details: { count: items.length, recordIds: items.map((r) => r.id) } });
    const last = items[items.length - 1];
    const views: RecordView[] = [];
    for (const r of items) views.push(await this.view(r));
    return { items: views, nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
  }

  /** Parses NDJSON or CSV, validates every line, stores the valid ones batch by batch; never half-writes a record. */
  async import(actor: Actor, contentType: string, body: string): Promise<{ accepted: number; rejected: number; lines: ImportLine[] }> {
    this.assertHolder(actor);
    const candidates: { line: number; value?: unknown; error?: string }[] = [];
    if (/csv/.test(contentType)) {
      let rows: Record<string, string>[];
      try {
        rows = parseCsv(body, { columns: true, skip_empty_lines: true, bom: true, trim: true, relax_column_count: false }) as Record<string, string>[];
      } catch {
        throw new BadRequestError('malformed-csv', 'The CSV could not be read (header or quoting).');
      }
      rows.forEach((row, i) => {
        try {
          candidates.push({ line: i + 2, value: csvRowToObject(row) });
        } catch {
          candidates.push({ line: i + 2, error: 'unreadable cell' });
        }
      });
    } else {
      body.split(/\r?\n/).forEach((text, i) => {
        if (!text.trim()) return;
        let value: unknown;
        try {
          value = JSON.parse(text) as unknown;
        } catch {
          candidates.push({ line: i + 1, error: 'not valid JSON' });
          return;
        }
        const unsafe = unsafeJson(value);
        candidates.push(unsafe ? { line: i + 1, error: unsafe } : { line: i + 1, value });
      });
    }
    if (candidates.length === 0) throw new RuleViolationError('empty-import', 'The import holds no lines.');
    if (candidates.length > MAX_IMPORT_LINES) throw new RuleViolationError('import-too-large', `At most ${MAX_IMPORT_LINES} lines per import.`);

    const report: ImportLine[] = [];
    const valid: { line: number; dto: ReleaseRecordDto }[] = [];
    for (const c of candidates) {
      if (c.error || typeof c.value !== 'object' || c.value === null || Array.isArray(c.value)) {
        report.push({ line: c.line, status: 'rejected', errors: [{ field: '', message: c.error ?? 'not an object' }] });
        continue;
      }
      const dto = plainToInstance(ReleaseRecordDto, c.value);
      const errors = flatten(await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true }));
      errors.push(...(errors.length ? [] : this.checkRules(dto)));
      if (errors.length) report.push({ line: c.line, status: 'rejected', errors });
      else valid.push({ line: c.line, dto });
    }
    const seen = new Set<string>();
    for (let i = 0; i < valid.length; i += IMPORT_BATCH) {
      const batch = valid.slice(i, i + IMPORT_BATCH);
      await this.txHost.withTransaction(async () => {
        for (const { line, dto } of batch) {
          if (seen.has(dto.externalRef)) {
            report.push({ line, status: 'rejected', errors: [{ field: 'externalRef', message: 'repeated in this import' }] });
            continue;
          }
          seen.add(dto.externalRef);
          await this.txHost.tx.query('SAVEPOINT import_line');
          try {
            const r = await this.upsert(actor.orgId, dto);
            await this.txHost.tx.query('RELEASE SAVEPOINT import_line');
            report.push({ line, status: r.created ? 'created' : 'updated', id: r.id, recordRef: r.recordRef });
          } catch {
            await this.txHost.tx.query('ROLLBACK TO SAVEPOINT import_line');
            report.push({ line, status: 'rejected', errors: [{ field: '', message: 'could not be stored' }] });
          }
        }
      });
    }
    report.sort((a, b) => a.line - b.line);
    const accepted = report.filter((l) => l.status !== 'rejected').length;
    await this.audit.recordDetached({ action: 'record.import', resourceType: 'release_record', details: { accepted, rejected: report.length - accepted } });
    return { accepted, rejected: report.length - accepted, lines: report };
  }

  /**
   * Finds the person by public reference or by the blind index of normalised name + birth date, only
   * within the requester's jurisdiction (a municipality: its own code; a prefecture: its
   * municipalities), never an erased record, newest release first. One query whatever the outcome,
   * so "no such person" and "outside your jurisdiction" cannot be told apart, not even by timing:
   * both are an empty answer to the same statement after the same single HMAC.
   */
  async match(
    subject: { recordRef?: string; fullName?: string; birthDate?: string },
    jurisdiction: { kind: 'municipality' | 'prefecture'; code: string },
  ): Promise<ReleaseRecord | null> {
    const params: unknown[] = [];
    let where: string;
    if (subject.recordRef) {
      params.push(subject.recordRef);
      where = 'r.record_ref = $1';
    } else {
      params.push(matchIndex(this.cipher, nameKey(subject.fullName ?? ''), subject.birthDate ?? ''));
      where = '(r.name_bidx = $1 OR r.kana_bidx = $1)';
    }
    if (jurisdiction.kind === 'prefecture') {
      params.push(jurisdiction.code.slice(0, 2));
      where += ' AND left(r.residence_code, 2) = $2';
    } else {
      params.push(jurisdiction.code);
      where += ' AND r.residence_code = $2';
    }
    const rows = (await this.txHost.tx.query(
      `SELECT r.id, r.holder_org_id, r.record_ref, r.residence_code, r.created_at, r.kek_id, r.dek_wrapped, r.release_date_enc
         FROM release_records r WHERE ${where} AND r.erased_at IS NULL ORDER BY r.created_at DESC LIMIT ${MATCH_CANDIDATES}`,
      params,
    )) as { id: string; holder_org_id: string; record_ref: string; residence_code: string; created_at: Date; kek_id: string; dek_wrapped: Buffer; release_date_enc: Buffer }[];
    if (rows.length === 0) return null;
    // Several releases of one person: the newest release date wins (sealed, so compared here).
    let best = rows[0]!;
    if (rows.length > 1) {
      let bestDate = '';
      for (const row of rows) {
        const opened = await this.cipher.open(row.id, { kekId: row.kek_id, wrapped: row.dek_wrapped }, { release_date_enc: row.release_date_enc });
        const date = opened.release_date_enc ?? '';
        if (date > bestDate) [best, bestDate] = [row, date];
      }
    }
    const found = new ReleaseRecord();
    Object.assign(found, { id: best.id, holderOrgId: best.holder_org_id, recordRef: best.record_ref, residenceCode: best.residence_code, createdAt: best.created_at });
    return found;
  }

  /** A record by id, erased or not (its id, holder and public reference remain). */
  findById(id: string): Promise<ReleaseRecord | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * Crypto-shredding of every record past retention (the later of its release date and the end of
   * supervision, plus `policy.limits.recordRetentionDays`): the wrapped data key, the sealed values,
   * the blind indexes and the holder's reference are nulled in one statement per batch; id, holder,
   * public reference and timestamps stay for the audit trail and the disclosure history. Each
   * erasure is a `record.erase` system event. Answers the ids erased (requests on them lapse next).
   */
  async eraseExpired(): Promise<string[]> {
    const system = { type: 'system' as const, id: null, orgId: null };
    const cutoff = new Date(this.clock.now().getTime() - this.config.policy.limits.recordRetentionDays * 86_400_000).toISOString().slice(0, 10);
    const all: string[] = [];
    for (;;) {
      const erased = await this.txHost.withTransaction(async () => {
        const [rows] = (await this.txHost.tx.query(
          `UPDATE release_records SET erased_at = $2, updated_at = $2, kek_id = NULL, dek_wrapped = NULL, name_bidx = NULL, kana_bidx = NULL,
                  external_ref = NULL, residence_code = NULL, retain_from = NULL, ${SEALED_COLUMNS.map((c) => `${c} = NULL`).join(', ')}
            WHERE id IN (SELECT id FROM release_records WHERE erased_at IS NULL AND retain_from < $1 ORDER BY retain_from LIMIT ${ERASE_BATCH} FOR UPDATE SKIP LOCKED)
            RETURNING id`,
          [cutoff, this.clock.now()],
        )) as [{ id: string }[], number];
        for (const r of rows) await this.audit.record({ action: 'record.erase', resourceType: 'release_record', resourceId: r.id, recordId: r.id, actor: system });
        return rows.map((r) => r.id);
      });
      all.push(...erased);
      if (erased.length < ERASE_BATCH) return all;
    }
  }

  get maxImportBytes(): string {
    return this.config.importBodyLimit;
  }
}
