import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const ORGANIZATION_KINDS = ['municipality', 'prefecture', 'correctional_facility', 'probation_office', 'ministry'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];
export const LOCAL_GOVERNMENT_KINDS: OrganizationKind[] = ['municipality', 'prefecture'];
export const AGENCY_KINDS: OrganizationKind[] = ['correctional_facility', 'probation_office'];

@Entity('organizations')
export class Organization {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  kind: OrganizationKind;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'local_government_code', type: 'char', length: 6, nullable: true, unique: true })
  localGovernmentCode: string | null;

  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
