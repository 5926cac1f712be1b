import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPropertyOptional,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import type { Request, Response } from 'express';
import type { Actor } from '../auth/actor';
import { Authorize, CurrentActor } from '../auth/decorators';
import { UnsupportedMediaTypeError } from '../common/domain-error';
import { PageQueryDto } from '../common/dto/pagination.dto';
import { ReleaseRecordDto, UpdateReleaseRecordDto } from './dto/release-record.dto';
import { ImportReportDto, ReleaseRecordPageDto, ReleaseRecordViewDto } from './dto/release-record-view.dto';
import { ReleaseRecordsService } from './release-records.service';

class ListRecordsQuery extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(64)
  externalRef?: string;
}

@ApiTags('release-records')
@Controller('release-records')
export class ReleaseRecordsController {
  constructor(private readonly records: ReleaseRecordsService) {}

  @Post()
  @Authorize({ roles: ['case_officer'], scopes: ['records:write'], summary: 'Create or update a record by (holder, externalRef)' })
  @ApiCreatedResponse({ description: 'Created: no record had this externalRef.', type: ReleaseRecordViewDto })
  @ApiOkResponse({ description: 'Updated: the record with this externalRef, replaced.', type: ReleaseRecordViewDto })
  @ApiUnprocessableEntityResponse({ description: 'A rule is broken (e.g. the residence code check digit), or the caller is not a holder.' })
  async create(@CurrentActor() actor: Actor, @Body() dto: ReleaseRecordDto, @Res({ passthrough: true }) res: Response) {
    const { created, record } = await this.records.createOrUpdate(actor, dto);
    res.status(created ? 201 : 200);
    return record;
  }

  @Post('import')
  @HttpCode(200)
  @Authorize({ roles: ['case_officer'], scopes: ['records:write'], summary: 'Bulk import NDJSON or CSV; answers a per-line report' })
  @ApiConsumes('application/x-ndjson', 'text/csv')
  @ApiBody({ schema: { type: 'string' }, description: 'One record per line (NDJSON) or per row (CSV with dotted column names).' })
  @ApiOkResponse({ description: 'A report per line: valid lines are stored, invalid ones rejected with their field errors.', type: ImportReportDto })
  @ApiBadRequestResponse({ description: 'malformed-csv: the CSV header or quoting cannot be read.' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not application/x-ndjson or text/csv.' })
  @ApiUnprocessableEntityResponse({ description: 'empty-import, import-too-large (more than 10000 lines), or the caller is not a holder.' })
  async import(@CurrentActor() actor: Actor, @Headers('content-type') contentType: string | undefined, @Req() req: Request) {
    if (typeof req.body !== 'string') throw new UnsupportedMediaTypeError('Send application/x-ndjson or text/csv.');
    return this.records.import(actor, contentType ?? '', req.body);
  }

  @Get()
  @Authorize({ roles: ['case_officer'], summary: 'Records held by your agency (the read is audited)' })
  @ApiOkResponse({ description: 'Newest first.', type: ReleaseRecordPageDto })
  list(@CurrentActor() actor: Actor, @Query() query: ListRecordsQuery) {
    return this.records.list(actor, query);
  }

  @Get(':id')
  @Authorize({ roles: ['case_officer'], summary: 'One record held by your agency (the read is audited)' })
  @ApiOkResponse({ description: 'The record.', type: ReleaseRecordViewDto })
  @ApiNotFoundResponse({ description: 'Not held by your agency.' })
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.records.get(actor, id);
  }

  @Patch(':id')
  @Authorize({ roles: ['case_officer'], scopes: ['records:write'], summary: 'Change fields of a record held by your agency' })
  @ApiOkResponse({ description: 'The record as changed.', type: ReleaseRecordViewDto })
  @ApiNotFoundResponse({ description: 'Not held by your agency.' })
  @ApiUnprocessableEntityResponse({ description: 'A rule is broken, or the caller is not a holder.' })
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateReleaseRecordDto) {
    return this.records.update(actor, id, dto);
  }
}
