import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsCalendarDate } from '../../common/dto/validators';
import { GROUP_BYS, MEASURES } from '../statistics.service';
import type { GroupBy, Measure } from '../statistics.service';

export class StatisticsQueryDto {
  @ApiPropertyOptional({ example: '2026-04-01', description: 'First day (Japan date) of the period; default: the first day of the month eleven months before `to`.' })
  @IsOptional() @IsCalendarDate()
  from?: string;

  @ApiPropertyOptional({ example: '2027-03-31', description: 'Last day (Japan date, inclusive) of the period; default: today in Japan. At most 3660 days after `from`.' })
  @IsOptional() @IsCalendarDate()
  to?: string;

  @ApiPropertyOptional({ enum: GROUP_BYS, default: 'month', description: 'month (Japan time), prefecture (of the requesting municipality or prefecture, from its local government code), purpose, or holder_kind (correctional facility or probation office).' })
  @IsOptional() @IsIn(GROUP_BYS)
  groupBy?: GroupBy;
}

export class LabelDto {
  @ApiProperty({ example: '大阪府' })
  ja: string;

  @ApiProperty({ example: 'Osaka' })
  en: string;
}

export class StatisticsCellsDto {
  @ApiProperty({ type: 'integer', nullable: true, description: 'Requests created in the period; null when suppressed.' })
  requests: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Of those, approved (finally; a two-step approval counts once it is complete); null when suppressed.' })
  approvals: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Of those, rejected; null when suppressed.' })
  rejections: number | null;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Of those, requests whose data the municipality retrieved at least once; null when suppressed.' })
  disclosures: number | null;

  @ApiProperty({ type: 'number', nullable: true, example: 4.5, description: 'Median calendar days from the request to its (final) decision, one decimal; null when suppressed or nothing was decided.' })
  medianDaysToDecision: number | null;

  @ApiProperty({ type: 'number', nullable: true, example: 0.125, description: 'Share (0 to 1, three decimals) of the requests still undecided when their `dueAt` passed (decided late, or still open, withdrawn or expired after it); null when suppressed or there are no requests.' })
  shareOverdue: number | null;

  @ApiProperty({ enum: MEASURES, isArray: true, description: 'The measures of this line withheld by small-cell suppression.' })
  suppressed: Measure[];
}

export class StatisticsGroupDto extends StatisticsCellsDto {
  @ApiProperty({ example: '2026-04', description: 'The group: YYYY-MM, the two-digit prefecture code, the purpose, the holder kind; `unknown` for data without one.' })
  key: string;

  @ApiProperty({ type: LabelDto })
  label: LabelDto;
}

export class StatisticsDto {
  @ApiProperty({ example: '2026-04-01' })
  from: string;

  @ApiProperty({ example: '2027-03-31' })
  to: string;

  @ApiProperty({ enum: GROUP_BYS })
  groupBy: GroupBy;

  @ApiProperty({ type: 'integer', example: 10, description: 'The policy’s statisticsMinCell: no count from 1 to this minus 1 is published.' })
  minCell: number;

  @ApiProperty({ format: 'date-time' })
  generatedAt: string;

  @ApiProperty({ type: [StatisticsGroupDto], description: 'Every group of the dimension, empty ones included, in a fixed order.' })
  groups: StatisticsGroupDto[];

  @ApiProperty({ type: StatisticsCellsDto, description: 'All groups together (each count is the sum of the groups).' })
  total: StatisticsCellsDto;
}
