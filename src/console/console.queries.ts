import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { Category, Purpose } from '../../config/configuration';
import { Organization } from '../organizations/organization.entity';
import { Safeguard } from '../safeguards/safeguard.entity';
import { User } from '../users/user.entity';

export interface QueueItem {
  id: string;
  status: string;
  purpose: Purpose;
  categories: Category[];
  createdAt: string;
  dueAt: string;
  overdue: boolean;
  dueSoon: boolean;
  requesterName: string;
}

/** Read-only queries the console pages need; every one is scoped in its WHERE clause. */
@Injectable()
export class ConsoleQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Requests routed to the agency (the queue): overdue ones first, then by deadline, then oldest
   * first. `now` is the application's clock.
   */
  async queue(holderOrgId: string, status: string, purpose: Purpose | undefined, now: Date): Promise<QueueItem[]> {
    const statuses = status === 'open' ? ['pending', 'awaiting_second_approval'] : status === 'all' ? null : [status];
    const rows = (await this.dataSource.query(
      `SELECT r.id, r.status, r.purpose, r.categories, r.created_at, r.due_at, o.name AS requester_name,
              (r.status IN ('pending','awaiting_second_approval') AND r.due_at < $4) AS overdue,
              (r.status IN ('pending','awaiting_second_approval') AND r.due_soon_at <= $4 AND r.due_at >= $4) AS due_soon
         FROM info_requests r JOIN organizations o ON o.id = r.requester_org_id
        WHERE r.holder_org_id = $1 AND ($2::text[] IS NULL OR r.status = ANY($2)) AND ($3::text IS NULL OR r.purpose = $3)
        ORDER BY overdue DESC, CASE WHEN r.status IN ('pending','awaiting_second_approval') THEN r.due_at END ASC NULLS LAST, r.created_at ASC, r.id ASC
        LIMIT 500`,
      [holderOrgId, statuses, purpose ?? null, now],
    )) as { id: string; status: string; purpose: Purpose; categories: Category[]; created_at: Date; due_at: Date; overdue: boolean; due_soon: boolean; requester_name: string }[];
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      purpose: r.purpose,
      categories: r.categories,
      createdAt: new Date(r.created_at).toISOString(),
      dueAt: new Date(r.due_at).toISOString(),
      overdue: r.overdue,
      dueSoon: r.due_soon,
      requesterName: r.requester_name,
    }));
  }

  async userNames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const users = await this.dataSource.getRepository(User).find({ where: { id: In(ids) }, select: { id: true, displayName: true } });
    return new Map(users.map((u) => [u.id, u.displayName]));
  }

  async orgNames(ids: string[]): Promise<Map<string, string>> {
    if (!ids.length) return new Map();
    const orgs = await this.dataSource.getRepository(Organization).find({ where: { id: In([...new Set(ids)]) }, select: { id: true, name: true } });
    return new Map(orgs.map((o) => [o.id, o.name]));
  }

  safeguard(id: string): Promise<Safeguard | null> {
    return this.dataSource.getRepository(Safeguard).findOneBy({ id });
  }
}
