import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { Category, Purpose } from '../../config/configuration';
import { Organization } from '../organizations/organization.entity';
import { Safeguard } from '../safeguards/safeguard.entity';
import { User } from '../users/user.entity';

export interface QueueItem {
  id: string;
  reference: string;
  status: string;
  purpose: Purpose;
  categories: Category[];
  createdAt: string;
  dueAt: string;
  overdue: boolean;
  dueSoon: boolean;
  requesterName: string;
  assignedTo: string | null;
  assigneeName: string | null;
}

export const QUEUE_SORTS = ['due', 'received', 'waiting'] as const;
export type QueueSort = (typeof QUEUE_SORTS)[number];
export const QUEUE_ASSIGNMENTS = ['me', 'unassigned'] as const;

export interface QueueFilter {
  status: string;
  purpose?: Purpose;
  overdue?: boolean;
  assignment?: (typeof QUEUE_ASSIGNMENTS)[number];
  sort?: QueueSort;
}

/** Fixed ORDER BY clauses (no text from the query string reaches the SQL). */
const ORDER: Record<QueueSort, string> = {
  // Overdue first, then by deadline (open ones), then oldest first.
  due: `overdue DESC, CASE WHEN r.status IN ('pending','awaiting_second_approval') THEN r.due_at END ASC NULLS LAST, r.created_at ASC, r.id ASC`,
  received: 'r.created_at DESC, r.id DESC',
  waiting: 'r.created_at ASC, r.id ASC',
};

/** Read-only queries the console pages need; every one is scoped in its WHERE clause. */
@Injectable()
export class ConsoleQueries {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Requests routed to the agency (the queue), filtered and sorted (by default overdue ones first,
   * then by deadline, then oldest first). `now` is the application's clock; `me` the officer asking.
   */
  async queue(holderOrgId: string, f: QueueFilter, now: Date, me: string): Promise<QueueItem[]> {
    const statuses = f.status === 'open' ? ['pending', 'awaiting_second_approval'] : f.status === 'all' ? null : [f.status];
    const rows = (await this.dataSource.query(
      `SELECT * FROM (
         SELECT r.id, r.reference, r.status, r.purpose, r.categories, r.created_at, r.due_at, o.name AS requester_name, r.assigned_to, u.display_name AS assignee_name,
                (r.status IN ('pending','awaiting_second_approval') AND r.due_at < $4) AS overdue,
                (r.status IN ('pending','awaiting_second_approval') AND r.due_soon_at <= $4 AND r.due_at >= $4) AS due_soon
           FROM info_requests r JOIN organizations o ON o.id = r.requester_org_id LEFT JOIN users u ON u.id = r.assigned_to
          WHERE r.holder_org_id = $1 AND ($2::text[] IS NULL OR r.status = ANY($2)) AND ($3::text IS NULL OR r.purpose = $3)
            AND ($5::text IS NULL OR ($5 = 'me' AND r.assigned_to = $6) OR ($5 = 'unassigned' AND r.assigned_to IS NULL))
       ) r
        WHERE ($7::boolean IS NULL OR r.overdue = $7)
        ORDER BY ${ORDER[f.sort ?? 'due']}
        LIMIT 500`,
      [holderOrgId, statuses, f.purpose ?? null, now, f.assignment ?? null, me, f.overdue ?? null],
    )) as {
      id: string;
      reference: string;
      status: string;
      purpose: Purpose;
      categories: Category[];
      created_at: Date;
      due_at: Date;
      overdue: boolean;
      due_soon: boolean;
      requester_name: string;
      assigned_to: string | null;
      assignee_name: string | null;
    }[];
    return rows.map((r) => ({
      id: r.id,
      reference: r.reference,
      status: r.status,
      purpose: r.purpose,
      categories: r.categories,
      createdAt: new Date(r.created_at).toISOString(),
      dueAt: new Date(r.due_at).toISOString(),
      overdue: r.overdue,
      dueSoon: r.due_soon,
      requesterName: r.requester_name,
      assignedTo: r.assigned_to,
      assigneeName: r.assignee_name,
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
