import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators';
import { PageOf } from '../common/dto/page.dto';
import { ACTION_GROUP_KEYS, ACTION_GROUPS } from './actions';
import type { Label } from './actions';

export class LabelDto {
  @ApiProperty({ example: '決裁' })
  ja: string;

  @ApiProperty({ example: 'Decision' })
  en: string;
}

export class ActionCodeDto {
  @ApiProperty({ example: 'request.decide', description: 'The code as events carry it in `action`.' })
  code: string;

  @ApiProperty({ type: LabelDto })
  label: LabelDto;
}

export class ActionGroupDto {
  @ApiProperty({ example: 'decision', description: 'The value of the `group` filter of GET /audit/events.' })
  key: string;

  @ApiProperty({ type: LabelDto })
  label: LabelDto;

  @ApiProperty({ type: [ActionCodeDto], description: 'Every code the operation is recorded under: its successes and its refused attempts.' })
  actions: ActionCodeDto[];
}

export class ActionCataloguePageDto extends PageOf(ActionGroupDto, { single: true }) {}

/** The action codes audit events carry, what each means, and how they group by operation. */
@ApiTags('audit')
@Controller('audit')
export class AuditActionsController {
  @Get('actions')
  @Public()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ summary: 'Every audit action code, with Japanese and English labels, grouped by operation (the values of the `action` and `group` filters)' })
  @ApiOkResponse({ description: 'Every group, in catalogue order; public, like the problem types (codes and labels only, nothing from the log).', type: ActionCataloguePageDto })
  catalogue(): { items: ActionGroupDto[]; nextCursor: null } {
    return {
      items: ACTION_GROUP_KEYS.map((key) => ({
        key,
        label: { ...ACTION_GROUPS[key].label },
        actions: Object.entries(ACTION_GROUPS[key].actions as Record<string, Label>).map(([code, label]) => ({ code, label: { ...label } })),
      })),
      nextCursor: null,
    };
  }
}
