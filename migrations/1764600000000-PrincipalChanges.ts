import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to who a token's principal is or may do (a user disabled, signed out, given other
 * roles, moved or renumbered; a client revoked or given other scopes; an organisation's kind; any
 * row deleted, any table truncated) sends a notification on channel `oie_principals` when it commits.
 * Triggers do not fire with `session_replication_role = replica` (pg_restore --disable-triggers,
 * logical replication): restart the instances after such maintenance. Each instance listens and drops the
 * principals it holds in memory, so such a change takes effect everywhere within milliseconds.
 */
export class PrincipalChanges1764600000000 implements MigrationInterface {
  name = 'PrincipalChanges1764600000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION oie_principals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('oie_principals', TG_TABLE_NAME);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_principal_changed AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.disabled IS DISTINCT FROM NEW.disabled OR OLD.token_version IS DISTINCT FROM NEW.token_version
              OR OLD.roles IS DISTINCT FROM NEW.roles OR OLD.organization_id IS DISTINCT FROM NEW.organization_id)
        EXECUTE FUNCTION oie_principals_changed()`);
    await q.query(`
      CREATE TRIGGER api_clients_principal_changed AFTER UPDATE ON api_clients FOR EACH ROW
        WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at OR OLD.scopes IS DISTINCT FROM NEW.scopes
              OR OLD.organization_id IS DISTINCT FROM NEW.organization_id OR OLD.client_id IS DISTINCT FROM NEW.client_id)
        EXECUTE FUNCTION oie_principals_changed()`);
    await q.query(`
      CREATE TRIGGER organizations_principal_changed AFTER UPDATE ON organizations FOR EACH ROW
        WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION oie_principals_changed()`);
    for (const table of ['users', 'api_clients', 'organizations']) {
      await q.query(`CREATE TRIGGER ${table}_principal_deleted AFTER DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION oie_principals_changed()`);
      await q.query(`CREATE TRIGGER ${table}_principal_truncated AFTER TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION oie_principals_changed()`);
    }
  }

  public async down(q: QueryRunner): Promise<void> {
    for (const table of ['users', 'api_clients', 'organizations']) {
      await q.query(`DROP TRIGGER ${table}_principal_truncated ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_principal_deleted ON ${table}`);
      await q.query(`DROP TRIGGER ${table}_principal_changed ON ${table}`);
    }
    await q.query(`DROP FUNCTION oie_principals_changed()`);
  }
}
