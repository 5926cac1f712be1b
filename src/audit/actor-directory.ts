import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * How an actor is shown to an auditor: a staff member's display name or a client's name (null for a
 * client registered without one: a view shows its client id, as an id), and its organisation.
 */
export interface ActorName {
  name: string | null;
  organizationName: string | null;
}

/** The most actors a name search resolves to; a broader name should be made more precise. */
export const MAX_ACTORS_PER_NAME = 500;

function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Names of the actors in audit events: staff users and API clients, never a person in a record
 * (events hold ids only; names are looked up here, for the auditor, when shown or searched).
 */
@Injectable()
export class ActorDirectory {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Ids (user ids and client ids) of every staff member or client whose name contains `text`. */
  async idsByName(text: string): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT id::text AS id FROM users WHERE display_name ILIKE $1 OR username ILIKE $1
       UNION SELECT client_id AS id FROM api_clients WHERE name ILIKE $1 OR client_id ILIKE $1
       LIMIT ${MAX_ACTORS_PER_NAME}`,
      [likePattern(text)],
    )) as { id: string }[];
    return rows.map((r) => r.id);
  }

  /** Names of the given actors, keyed `user:<id>` or `client:<id>`; unknown ones are left out. */
  async names(actors: { type: string; id: string | null }[]): Promise<Map<string, ActorName>> {
    const users = [...new Set(actors.filter((a) => a.type === 'user' && a.id && /^[0-9a-f-]{36}$/i.test(a.id)).map((a) => a.id!))];
    const clients = [...new Set(actors.filter((a) => a.type === 'client' && a.id).map((a) => a.id!))];
    const out = new Map<string, ActorName>();
    if (users.length) {
      const rows = (await this.dataSource.query(
        `SELECT u.id::text AS id, u.display_name AS name, o.name AS org FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.id = ANY($1::uuid[])`,
        [users],
      )) as { id: string; name: string; org: string | null }[];
      for (const r of rows) out.set(`user:${r.id}`, { name: r.name, organizationName: r.org });
    }
    if (clients.length) {
      const rows = (await this.dataSource.query(
        `SELECT c.client_id AS id, c.name, o.name AS org FROM api_clients c LEFT JOIN organizations o ON o.id = c.organization_id WHERE c.client_id = ANY($1::text[])`,
        [clients],
      )) as { id: string; name: string | null; org: string | null }[];
      for (const r of rows) out.set(`client:${r.id}`, { name: r.name, organizationName: r.org });
    }
    return out;
  }
}
