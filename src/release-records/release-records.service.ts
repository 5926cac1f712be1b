import { Inject, Injectable } from '@nestjs/common';
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
import { nameKey, newRecordRef } from './names';
import { unsafeJson } from '../common/body-parsers';
import { flatten } from '../common/validation';
import { ReleaseRecord } from './release-record.entity';

export const MAX_IMPORT_LINES = 10_000;
const IMPORT_BATCH = 500;

export interface ImportLine {
  line: number;
  status: 'created' | 'updated' | 'rejected';
  id?: string;
  recordRef?: string;
  errors?: { field: string; message: string }[];
}

export function toRecordView(r: ReleaseRecord) {
  return {
    id: r.id,
    recordRef: r.recordRef,
    externalRef: r.externalRef,
    holderOrganizationId: r.holderOrgId,
    fullName: r.fullName,
    fullNameKana: r.fullNameKana,
    birthDate: r.birthDate,
    sex: r.sex,
    releaseDate: r.releaseDate,
    releaseType: r.releaseType,
    facilityName: r.facilityName,
    admissionDate: r.admissionDate,
    plannedResidence: { address: r.residenceAddress, localGovernmentCode: r.residenceCode },
    supervision: r.supervision,
    supportNeeds: r.supportNeeds,
    offense: r.offense,
    consents: r.consents,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}
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

  /** Inserts or updates by (holder, externalRef) in one statement; answers whether it was created. */
  private async upsert(holderOrgId: string, dto: ReleaseRecordDto): Promise<{ id: string; recordRef: string; created: boolean }> {
    const rows = (await this.txHost.tx.query(
      `INSERT INTO release_records (holder_org_id, external_ref, record_ref, full_name, full_name_kana, name_key, kana_key, birth_date, sex,
          release_date, release_type, facility_name, admission_date, residence_address, residence_code, supervision, support_needs, offense, consents)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)
       ON CONFLICT (holder_org_id, external_ref) DO UPDATE SET
          full_name = EXCLUDED.full_name, full_name_kana = EXCLUDED.full_name_kana, name_key = EXCLUDED.name_key, kana_key = EXCLUDED.kana_key,
          birth_date = EXCLUDED.birth_date, sex = EXCLUDED.sex, release_date = EXCLUDED.release_date, release_type = EXCLUDED.release_type,
          facility_name = EXCLUDED.facility_name, admission_date = EXCLUDED.admission_date, residence_address = EXCLUDED.residence_address,
          residence_code = EXCLUDED.residence_code, supervision = EXCLUDED.supervision, support_needs = EXCLUDED.support_needs,
          offense = EXCLUDED.offense, consents = EXCLUDED.consents, updated_at = now()
       RETURNING id, record_ref, (xmax = 0) AS created`,
      [
        holderOrgId,
        dto.externalRef,
        newRecordRef(),
        dto.fullName,
        dto.fullNameKana ?? null,
        nameKey(dto.fullName),
        dto.fullNameKana ? nameKey(dto.fullNameKana) : null,
        dto.birthDate,
        dto.sex,
        dto.releaseDate,
        dto.releaseType,
        dto.facilityName ?? null,
        dto.admissionDate ?? null,
        dto.plannedResidence.address,
        dto.plannedResidence.localGovernmentCode,
        dto.supervision ? JSON.stringify(dto.supervision) : null,
        dto.supportNeeds ? JSON.stringify(dto.supportNeeds) : null,
        dto.offense ? JSON.stringify(dto.offense) : null,
        JSON.stringify(dto.consents ?? []),
      ],
    )) as { id: string; record_ref: string; created: boolean }[];
    const row = rows[0]!;
    await this.audit.record({ action: row.created ? 'record.create' : 'record.update', resourceType: 'release_record', resourceId: row.id, recordId: row.id });
    return { id: row.id, recordRef: row.record_ref, created: row.created };
  }

  @Transactional()
  async createOrUpdate(actor: Actor, dto: ReleaseRecordDto): Promise<{ created: boolean; record: RecordView }> {
    this.assertHolder(actor);
    const errors = this.checkRules(dto);
    if (errors.length) throw new RuleViolationError('invalid-record', 'The record breaks a rule.', errors);
    const { id, created } = await this.upsert(actor.orgId, dto);
    const record = await this.repo.findOneByOrFail({ id });
    return { created, record: toRecordView(record) };
  }

  @Transactional()
  async update(actor: Actor, id: string, dto: UpdateReleaseRecordDto): Promise<RecordView> {
    this.assertHolder(actor);
    const r = await this.repo.findOne({ where: { id, holderOrgId: actor.orgId }, lock: { mode: 'pessimistic_write' } });
    if (!r) return this.notVisible('record.update', id);
    const merged: ReleaseRecordDto = {
      externalRef: r.externalRef,
      fullName: dto.fullName ?? r.fullName,
      fullNameKana: dto.fullNameKana ?? r.fullNameKana ?? undefined,
      birthDate: dto.birthDate ?? r.birthDate,
      sex: dto.sex ?? r.sex,
      releaseDate: dto.releaseDate ?? r.releaseDate,
      releaseType: dto.releaseType ?? r.releaseType,
      facilityName: dto.facilityName ?? r.facilityName ?? undefined,
      admissionDate: dto.admissionDate ?? r.admissionDate ?? undefined,
      plannedResidence: dto.plannedResidence ?? { address: r.residenceAddress, localGovernmentCode: r.residenceCode },
      supervision: dto.supervision ?? r.supervision ?? undefined,
      supportNeeds: dto.supportNeeds ?? r.supportNeeds ?? undefined,
      offense: dto.offense ?? r.offense ?? undefined,
      consents: dto.consents ?? (r.consents as ReleaseRecordDto['consents']),
    };
    const errors = this.checkRules(merged);
    if (errors.length) throw new RuleViolationError('invalid-record', 'The record breaks a rule.', errors);
    await this.upsert(actor.orgId, merged);
    return toRecordView(await this.repo.findOneByOrFail({ id }));
  }

  /** Holder's staff only; the read is audited with the record id. */
  @Transactional()
  async get(actor: Actor, id: string): Promise<RecordView> {
    const r = await this.repo.findOneBy({ id, holderOrgId: actor.orgId });
    if (!r) return this.notVisible('record.read', id);
    await this.audit.record({ action: 'record.read', resourceType: 'release_record', resourceId: id, recordId: id });
    return toRecordView(r);
  }

  @Transactional()
  async list(actor: Actor, query: { cursor?: string; limit?: number; externalRef?: string }): Promise<Page<RecordView>> {
    const limit = query.limit ?? 50;
    const qb = this.repo
      .createQueryBuilder('r')
      .where('r.holder_org_id = :org', { org: actor.orgId })
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
    return { items: items.map(toRecordView), nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null };
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
   * Finds the person by public reference or by normalised name + birth date, only within the
   * requester's jurisdiction (a municipality: its own code; a prefecture: its municipalities), newest
   * release first. One query whatever the outcome, so "no such person" and "outside your
   * jurisdiction" cannot be told apart, not even by timing.
   */
  async match(
    subject: { recordRef?: string; fullName?: string; birthDate?: string },
    jurisdiction: { kind: 'municipality' | 'prefecture'; code: string },
  ): Promise<ReleaseRecord | null> {
    const qb = this.repo.createQueryBuilder('r').orderBy('r.release_date', 'DESC').addOrderBy('r.created_at', 'DESC').limit(1);
    if (subject.recordRef) qb.where('r.record_ref = :ref', { ref: subject.recordRef });
    else {
      const key = nameKey(subject.fullName ?? '');
      qb.where('(r.name_key = :key OR r.kana_key = :key) AND r.birth_date = :birth', { key, birth: subject.birthDate });
    }
    if (jurisdiction.kind === 'prefecture') qb.andWhere('left(r.residence_code, 2) = :pref', { pref: jurisdiction.code.slice(0, 2) });
    else qb.andWhere('r.residence_code = :code', { code: jurisdiction.code });
    return qb.getOne();
  }

  findById(id: string): Promise<ReleaseRecord | null> {
    return this.repo.findOneBy({ id });
  }

  get maxImportBytes(): string {
    return this.config.importBodyLimit;
  }
}
