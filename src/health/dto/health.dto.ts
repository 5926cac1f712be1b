import { ApiProperty } from '@nestjs/swagger';

export class LiveDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
}

/** One check: `{ status: 'up' }`. */
const indicators = (description: string) => ({
  type: 'object' as const,
  additionalProperties: {
    type: 'object' as const,
    required: ['status'],
    properties: { status: { type: 'string' as const, enum: ['up'] } },
  },
  description,
  example: { database: { status: 'up' }, migrations: { status: 'up' } },
});

/** The answer of a passing readiness check (a failing one is a 503 problem). */
export class ReadyDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';

  @ApiProperty(indicators('The checks that passed: database and migrations.'))
  info: Record<string, { status: 'up' }>;

  @ApiProperty({
    type: 'object',
    additionalProperties: false,
    description: 'The checks that failed: none when ready.',
    example: {},
  })
  error: Record<string, never>;

  @ApiProperty(indicators('Every check.'))
  details: Record<string, { status: 'up' }>;
}
