import { Controller, Get, Header, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiForbiddenResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { hasRole } from '../auth/actor';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { AuditService } from '../audit/audit.service';
import { ReleaseRecordsService } from '../release-records/release-records.service';
import { Transactional } from '../database/transaction';
import { DisclosuresService } from './disclosures.service';
import { DisclosureDto, DisclosureHistoryDto } from './dto/disclosure-view.dto';

@ApiTags('disclosures')
@Controller()
export class DisclosuresController {
  constructor(
    private readonly disclosures: DisclosuresService,
    private readonly records: ReleaseRecordsService,
    private readonly audit: AuditService,
  ) {}

  @Get('requests/:id/disclosure')
  @Header('Cache-Control', 'no-store')
  @Authorize({ scopes: ['disclosures:read'], summary: 'Retrieve exactly the approved fields, with a signed receipt (counts one retrieval)' })
  @ApiOkResponse({ description: 'Exactly the approved fields, with a receipt signed by the service.', type: DisclosureDto })
  @ApiForbiddenResponse({ description: 'not-approved, approval-revoked, access-window-closed, retrievals-exhausted or safeguards-not-active.' })
  @ApiNotFoundResponse({ description: 'Not your request.' })
  retrieve(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.disclosures.retrieve(actor, id);
  }

  @Get('release-records/:id/disclosures')
  @Authorize({ roles: ['case_officer', 'auditor'], summary: 'Who received what about this person, when and why (the read is audited)' })
  @ApiOkResponse({ description: 'Every retrieval about the person, newest first (at most 1000).', type: DisclosureHistoryDto })
  @ApiNotFoundResponse({ description: 'Not held by your agency.' })
  @Transactional()
  async history(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    const record = await this.records.findById(id);
    const visible = record && (hasRole(actor, 'auditor') || (hasRole(actor, 'case_officer') && record.holderOrgId === actor.orgId));
    if (!visible) return this.records.notVisible('record.disclosures.read', id);
    await this.audit.record({ action: 'record.disclosures.read', resourceType: 'release_record', resourceId: id, recordId: id });
    return { items: await this.disclosures.historyForRecord(id), nextCursor: null };
  }
}
