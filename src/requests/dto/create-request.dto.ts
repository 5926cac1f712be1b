import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsObject,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsCalendarDate, IsDateOrTime, IsPlainText, Normalized } from '../../common/dto/validators';
import type { Category, Purpose } from '../../../config/configuration';
import { REQUEST_STATUSES } from '../request.entity';
import type { RequestStatus } from '../request.entity';
import { PageQueryDto } from '../../common/dto/pagination.dto';

export { CATEGORIES } from '../../../config/categories';
import { CATEGORIES } from '../../../config/categories';
export const PURPOSES = ['reintegration_support', 'welfare_coordination', 'ordinance_program'];

export class SubjectDto {
  @ApiPropertyOptional({ example: 'R-7K2M9QX4TB', description: 'The record’s public reference; or give fullName and birthDate.' })
  @ValidateIf((o: SubjectDto) => o.fullName === undefined && o.birthDate === undefined)
  @IsString()
  @Matches(/^R-[0-9A-Z]{10}$/, { message: 'must look like R-XXXXXXXXXX' })
  recordRef?: string;

  @ApiPropertyOptional({ example: '法務 太郎' })
  @ValidateIf((o: SubjectDto) => o.recordRef === undefined)
  @Normalized()
  @IsString()
  @IsPlainText()
  @MinLength(1)
  @MaxLength(100)
  fullName?: string;

  @ApiPropertyOptional({ example: '1980-04-01' })
  @ValidateIf((o: SubjectDto) => o.recordRef === undefined)
  @IsCalendarDate()
  birthDate?: string;
}

export class ConsentEvidenceDto {
  @ApiProperty({ example: '大阪市福祉局-同意書-2026-0042' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(200)
  documentRef: string;

  @ApiProperty({ example: '2026-11-01' })
  @IsCalendarDate()
  signedOn: string;

  @ApiProperty({ example: '社会復帰支援のための出所情報及び帰住予定地' })
  @Normalized() @IsString() @IsPlainText() @MinLength(1) @MaxLength(1000)
  scope: string;
}

export class LegalGroundDto {
  @ApiProperty({ enum: ['consent', 'statutory_duty'], description: 'APPI Art. 69(2)(i) consent or (iii) statutory duty.' })
  @IsIn(['consent', 'statutory_duty'])
  kind: 'consent' | 'statutory_duty';

  @ApiPropertyOptional({ type: ConsentEvidenceDto, description: 'Required when kind is consent.' })
  @ValidateIf((o: LegalGroundDto) => o.kind === 'consent')
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => ConsentEvidenceDto)
  consent?: ConsentEvidenceDto;

  @ApiPropertyOptional({ example: '大阪府子どもを性犯罪から守る条例 第17条に基づく社会復帰支援', description: 'Required when kind is statutory_duty.' })
  @ValidateIf((o: LegalGroundDto) => o.kind === 'statutory_duty')
  @Normalized()
  @IsString()
  @IsPlainText()
  @MinLength(1)
  @MaxLength(500)
  duty?: string;
}

export class CreateRequestDto {
  @ApiProperty({ type: SubjectDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => SubjectDto)
  subject: SubjectDto;

  @ApiProperty({ enum: PURPOSES })
  @IsIn(PURPOSES)
  purpose: Purpose;

  @ApiProperty({ enum: CATEGORIES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(CATEGORIES.length)
  @ArrayUnique()
  @IsIn(CATEGORIES, { each: true })
  categories: Category[];

  @ApiProperty({ type: LegalGroundDto })
  @IsDefined()
  @IsObject()
  @ValidateNested()
  @Type(() => LegalGroundDto)
  legalGround: LegalGroundDto;

  @ApiProperty({ example: '帰住予定地での住居確保及び就労支援の調整のため', maxLength: 2000 })
  @Normalized()
  @IsString()
  @IsPlainText()
  @MinLength(1)
  @MaxLength(2000)
  justification: string;
}


export class ListRequestsQuery extends PageQueryDto {
  @ApiPropertyOptional({ enum: REQUEST_STATUSES })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: RequestStatus;

  @ApiPropertyOptional({ enum: PURPOSES })
  @IsOptional()
  @IsIn(PURPOSES)
  purpose?: Purpose;

  @ApiPropertyOptional({ description: 'Created at or after (RFC 3339 or YYYY-MM-DD).' })
  @IsOptional()
  @IsDateOrTime()
  from?: string;

  @ApiPropertyOptional({ description: 'Created before (RFC 3339 or YYYY-MM-DD).' })
  @IsOptional()
  @IsDateOrTime()
  to?: string;

  @ApiPropertyOptional({ type: Boolean, description: '`true`: only undecided requests past their `dueAt`; `false`: all others.' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  overdue?: boolean;
}

export class WithdrawDto {
  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional() @Normalized() @IsString() @IsPlainText() @MaxLength(1000)
  reason?: string;
}
