import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '../../common/dto/page.dto';

/** One audit event (a leaf of the tamper-evident log once sealed). */
export class AuditEventDto {
  @ApiProperty({ example: '1042', description: 'Decimal id; also the search cursor.' })
  id: string;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-02T01:02:03.456789Z',
    description: 'UTC with microseconds.',
  })
  occurredAt: string;

  @ApiProperty({ enum: ['user', 'client', 'system', 'anonymous'] })
  actorType: string;

  @ApiProperty({ type: String, nullable: true, description: 'User id or client id.' })
  actorId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  organizationId: string | null;

  @ApiProperty({ example: 'disclosure.retrieve' })
  action: string;

  @ApiProperty({ example: 'request' })
  resourceType: string;

  @ApiProperty({ type: String, nullable: true })
  resourceId: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The release record concerned (the person, never a name).',
  })
  recordId: string | null;

  @ApiProperty({ enum: ['success', 'denied', 'failure'] })
  outcome: string;

  @ApiProperty({ type: String, nullable: true, example: 'not-approved' })
  reasonCode: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The request id of the HTTP call that caused it.',
  })
  requestId: string | null;

  @ApiProperty({ type: String, nullable: true })
  sourceIp: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Action-specific details (never personal data).',
  })
  details: unknown;

  @ApiProperty({ type: 'integer', nullable: true, description: 'Position in the log; null until sealed.' })
  leafIndex: number | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'RFC 6962 leaf hash (base64); null until sealed.',
  })
  leafHash: string | null;
}

export class AuditEventPageDto extends PageOf(AuditEventDto) {}

/** A signed statement of the log's size and root hash. */
export class CheckpointDto {
  @ApiProperty({ type: 'integer', minimum: 1 })
  treeSize: number;

  @ApiProperty({ description: 'RFC 6962 Merkle tree hash of the first treeSize leaves (base64).' })
  rootHash: string;

  @ApiProperty({ format: 'date-time' })
  time: string;

  @ApiProperty({ description: 'The kid of the Ed25519 key in /.well-known/jwks.json.' })
  keyId: string;

  @ApiProperty({
    description: 'Compact JWS (EdDSA, `typ` oie-checkpoint) over {"treeSize","rootHash","time"}.',
  })
  signature: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description:
      "The checkpoint as a C2SP signed note (origin, tree size, base64 root; the log's Ed25519 note signature, then the witnesses' cosignatures received so far). Null for checkpoints sealed before notes.",
  })
  note: string | null;
}

export class CheckpointPageDto extends PageOf(CheckpointDto) {}

export class InclusionProofDto {
  @ApiProperty({ type: 'integer' })
  leafIndex: number;

  @ApiProperty({ type: 'integer' })
  treeSize: number;

  @ApiProperty({ description: 'Base64.' })
  leafHash: string;

  @ApiProperty({ type: [String], description: 'RFC 6962 audit path, base64 hashes.' })
  proof: string[];

  @ApiProperty({ description: 'Base64.' })
  rootHash: string;

  @ApiProperty({
    type: CheckpointDto,
    nullable: true,
    description: 'The checkpoint of this tree size, if one was signed.',
  })
  checkpoint: CheckpointDto | null;
}

export class ConsistencyProofDto {
  @ApiProperty({ type: 'integer' })
  from: number;

  @ApiProperty({ type: 'integer' })
  to: number;

  @ApiProperty({ type: [String], description: 'RFC 6962 consistency proof, base64 hashes.' })
  proof: string[];

  @ApiProperty({ description: 'Base64.' })
  fromRoot: string;

  @ApiProperty({ description: 'Base64.' })
  toRoot: string;
}

export class VerifyWitnessesDto {
  @ApiProperty({ type: [String], description: 'Witnesses that cosigned the newest checkpoint.' })
  cosigned: string[];

  @ApiProperty({ type: [String], description: 'Configured witnesses that did not.' })
  missing: string[];

  @ApiProperty({ type: 'integer', description: 'How many cosignatures verification requires.' })
  quorum: number;
}

export class VerifyReportDto {
  @ApiProperty()
  ok: boolean;

  @ApiProperty({ type: 'integer', description: 'Leaves checked: every sealed leaf when ok; otherwise those checked before the failure (up to the bad leaf, or the size of the checkpoint that failed).' })
  treeSize: number;

  @ApiProperty({ type: 'integer' })
  checkpointsVerified: number;

  @ApiPropertyOptional({ type: 'integer', description: 'When not ok: the first leaf that fails.' })
  firstBadIndex?: number;

  @ApiPropertyOptional({ type: 'integer', description: 'When a checkpoint fails: its tree size.' })
  badCheckpoint?: number;

  @ApiPropertyOptional({ description: 'When not ok: why.' })
  reason?: string;

  @ApiPropertyOptional({ type: VerifyWitnessesDto, description: 'Present when witnesses are configured.' })
  witnesses?: VerifyWitnessesDto;
}
