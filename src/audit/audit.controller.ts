import { Body, Controller, Get, Header, HttpCode, Inject, Injectable, Param, PipeTransform, Post, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig } from '../../config/configuration';
import { NoteError, openNote, parseCheckpointText, parseVerifierKey } from './note';
import type { Response } from 'express';
import { Authorize } from '../auth/decorators';
import { NotFoundError, RuleViolationError } from '../common/domain-error';
import { AuditLogService } from './audit-log.service';
import { AuditQueryService } from './audit-query.service';
import { AuditService } from './audit.service';
import { ActorDirectory } from './actor-directory';
import { AuditExportDto, AuditFilterDto, AuditSearchDto, CheckpointsQueryDto, ConsistencyQueryDto, ProofQueryDto, VerifyLogDto } from './dto/audit-query.dto';
import type { ExternalCheckpoint } from './audit-log.service';
import { AuditEventPageDto, CheckpointDto, CheckpointPageDto, ConsistencyProofDto, InclusionProofDto, VerifyReportDto } from './dto/audit-views.dto';
import { BadRequestError } from '../common/domain-error';

/** A leaf index in plain decimal: no spaces, signs, hex or exponents. */
@Injectable()
class LeafIndexPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) throw new BadRequestError('validation', 'The leaf index must be a decimal number.', [{ field: 'index', message: 'must be a decimal number' }]);
    return value;
  }
}

/** The auditor's tools. Every read here is itself an audit event. */
@ApiTags('audit')
@Controller('audit')
export class AuditController {
  constructor(
    private readonly log: AuditLogService,
    private readonly query: AuditQueryService,
    private readonly audit: AuditService,
    private readonly actors: ActorDirectory,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('events')
  @Authorize({ roles: ['auditor'], summary: 'Search audit events (newest first, cursor pagination)' })
  @ApiOkResponse({ description: 'Newest first.', type: AuditEventPageDto })
  async search(@Query() q: AuditSearchDto) {
    await this.resolveActorName(q);
    const page = await this.query.search(q);
    await this.audit.record({ action: 'audit.search', resourceType: 'audit_event', details: { filters: { ...q, cursor: undefined, limit: undefined, actorName: undefined }, count: page.items.length } });
    return page;
  }

  @Get('events/export')
  @Authorize({ roles: ['auditor'], summary: 'Stream matching events as NDJSON or CSV in log order' })
  @ApiOkResponse({
    description:
      'Every matching event in log order (sealed by leaf index, then unsealed by id): NDJSON, one AuditEventDto per line, or CSV with a header row of the same names (details as JSON; cells that could start a spreadsheet formula are prefixed with a quote).',
    headers: { 'Content-Disposition': { description: 'attachment; filename="audit-events.ndjson" or "audit-events.csv"', schema: { type: 'string' } } },
    content: {
      'application/x-ndjson': { schema: { type: 'string', description: 'One JSON AuditEventDto per line.' } },
      'text/csv': { schema: { type: 'string', description: 'RFC 4180 CSV, every cell quoted.' } },
    },
  })
  async export(@Query() q: AuditExportDto, @Res() res: Response): Promise<void> {
    const format = q.format ?? 'ndjson';
    await this.resolveActorName(q);
    await this.audit.recordDetached({ action: 'audit.export', resourceType: 'audit_event', details: { filters: { ...q, actorName: undefined } } });
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="audit-events.${format === 'csv' ? 'csv' : 'ndjson'}"`);
    res.setHeader('Cache-Control', 'no-store');
    await this.query.export(q, format, res);
    res.end();
  }

  @Get('checkpoints/latest')
  @Authorize({ roles: ['auditor'], scopes: ['disclosures:read'], summary: 'The latest signed checkpoint (tree size, root hash, time, Ed25519 JWS, and as a C2SP signed note with cosignatures)' })
  @ApiOkResponse({ description: 'The newest checkpoint.', type: CheckpointDto })
  @ApiNotFoundResponse({ description: 'Nothing sealed yet.' })
  async latest() {
    const cp = await this.log.latestCheckpoint();
    if (!cp) throw new NotFoundError('checkpoint');
    await this.audit.record({ action: 'audit.checkpoint.read', resourceType: 'audit_checkpoint', resourceId: String(cp.treeSize) });
    return cp;
  }

  @Get('checkpoints/latest.note')
  @Authorize({ roles: ['auditor'], scopes: ['disclosures:read'], summary: 'The latest checkpoint as a C2SP tlog-checkpoint signed note, with the cosignatures received so far' })
  @ApiOkResponse({ description: 'origin, tree size, base64 root hash, a blank line, then signature lines (— name base64).', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiNotFoundResponse({ description: 'Nothing sealed yet.' })
  async latestNote(@Res() res: Response): Promise<void> {
    const cp = await this.log.latestCheckpoint();
    if (!cp?.note) throw new NotFoundError('checkpoint');
    await this.audit.record({ action: 'audit.checkpoint.read', resourceType: 'audit_checkpoint', resourceId: String(cp.treeSize), details: { format: 'note' } });
    res.status(200).type('text/plain; charset=utf-8').setHeader('Cache-Control', 'no-store');
    res.send(cp.note);
  }

  @Get('verifier-key')
  @Public()
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: "The log's note verifier key: <origin>+<hex key id>+<base64(0x01 ‖ Ed25519 public key)> (c2sp.org/signed-note)" })
  @ApiOkResponse({
    description: 'One line, the verifier key; public (it is a public key).',
    content: { 'text/plain': { schema: { type: 'string', example: 'exchange.example.jp/audit-log+1a2b3c4d+AT…' } } },
  })
  verifierKey(@Res() res: Response): void {
    res.status(200).type('text/plain; charset=utf-8').send(`${this.log.verifierKey()}\n`);
  }

  @Get('checkpoints')
  @Authorize({ roles: ['auditor'], summary: 'Signed checkpoints, newest first' })
  @ApiOkResponse({ description: 'Newest first; the cursor is a tree size.', type: CheckpointPageDto })
  async checkpoints(@Query() q: CheckpointsQueryDto) {
    const page = await this.log.checkpoints({ before: q.cursor, limit: q.limit });
    await this.audit.record({ action: 'audit.checkpoints.read', resourceType: 'audit_checkpoint', details: { count: page.items.length } });
    return page;
  }

  @Get('events/:index/proof')
  @Authorize({ roles: ['auditor'], summary: 'Inclusion proof of one leaf in the tree of a given size' })
  @ApiOkResponse({ description: 'The audit path from the leaf to the root of the tree of that size.', type: InclusionProofDto })
  @ApiBadRequestResponse({ description: 'The index is not a decimal number, or treeSize fails validation.' })
  @ApiUnprocessableEntityResponse({ description: 'Index or tree size beyond the sealed log.' })
  async proof(@Param('index', LeafIndexPipe) indexText: string, @Query() q: ProofQueryDto) {
    const index = Number(indexText);
    const treeSize = q.treeSize ?? (await this.log.latestCheckpoint())?.treeSize ?? 0;
    const sealed = await this.log.sealedSize();
    if (index < 0 || treeSize < 1 || index >= treeSize || treeSize > sealed)
      throw new RuleViolationError('proof-out-of-range', `Need 0 <= index < treeSize <= ${sealed} (the sealed size).`);
    const proof = await this.log.inclusion(index, treeSize);
    if (!proof) throw new RuleViolationError('proof-out-of-range', 'The log is shorter than the tree size.');
    await this.audit.record({ action: 'audit.proof', resourceType: 'audit_event', resourceId: String(index), details: { treeSize } });
    return proof;
  }

  @Get('consistency')
  @Authorize({ roles: ['auditor'], summary: 'Consistency proof between two tree sizes' })
  @ApiOkResponse({ description: 'The proof that the tree of size `to` extends the tree of size `from`.', type: ConsistencyProofDto })
  @ApiUnprocessableEntityResponse({ description: 'from > to, or to beyond the sealed log.' })
  async consistency(@Query() q: ConsistencyQueryDto) {
    const sealed = await this.log.sealedSize();
    if (q.from > q.to || q.to > sealed) throw new RuleViolationError('proof-out-of-range', `Need 1 <= from <= to <= ${sealed} (the sealed size).`);
    const proof = await this.log.consistency(q.from, q.to);
    if (!proof) throw new RuleViolationError('proof-out-of-range', 'The log is shorter than the tree size.');
    await this.audit.record({ action: 'audit.consistency', resourceType: 'audit_event', details: { from: q.from, to: q.to } });
    return proof;
  }

  @Post('verify')
  @HttpCode(200)
  @Authorize({
    roles: ['auditor'],
    summary:
      'Recompute every leaf and checkpoint; check that the newest checkpoint covers every sealed event, that witnesses\' and given notes are no larger than the log and consistent with it, and the witness quorum; answers the first index that fails and why',
  })
  @ApiOkResponse({ description: 'Whether every leaf and checkpoint verifies, the coverage, the witnesses and the notes given; if not, the first failure.', type: VerifyReportDto })
  @ApiBadRequestResponse({ description: 'A given note is malformed, or signed by neither the log nor a configured witness.' })
  @ApiTooManyRequestsResponse({ description: 'Three verifications are already running or waiting on this instance (they run one at a time); retry after `Retry-After` seconds.' })
  async verify(@Body() body: VerifyLogDto) {
    const notes = this.externalNotes(body.notes ?? []);
    const report = await this.log.verify({ notes });
    await this.audit.recordDetached({ action: 'audit.verify', resourceType: 'audit_log', outcome: report.ok ? 'success' : 'failure', reasonCode: report.ok ? null : 'verification-failed', details: { ...report } });
    return report;
  }

  /** A name searches by the ids of the staff and clients it matches; the event records those ids, not the text typed. */
  private async resolveActorName(q: AuditFilterDto): Promise<void> {
    if (q.actorName !== undefined) q.actorIds = await this.actors.idsByName(q.actorName);
  }

  /** Notes given by the auditor: each must be signed by the log or cosigned by a configured witness. */
  private externalNotes(notes: string[]): ExternalCheckpoint[] {
    const verifiers = [this.log.noteVerifier(), ...this.config.auditWitnesses.map((w) => parseVerifierKey(w.verifierKey))];
    return notes.map((text, i) => {
      try {
        const opened = openNote(text, verifiers);
        const body = parseCheckpointText(opened.text);
        if (body.origin !== this.log.origin) throw new NoteError('another log');
        return { source: `note ${i + 1}`, size: body.size, rootHash: body.rootHash };
      } catch (err) {
        throw new BadRequestError('invalid-note', `Note ${i + 1} is not a checkpoint of this log signed by it or by a configured witness.`, [
          { field: `notes[${i}]`, message: err instanceof NoteError ? err.message : 'unreadable' },
        ]);
      }
    });
  }
}
