import { MigrationInterface, QueryRunner } from 'typeorm';

export class Platform1764200000000 implements MigrationInterface {
  name = 'Platform1764200000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE organizations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('municipality','prefecture','correctional_facility','probation_office','ministry')),
        name text NOT NULL,
        local_government_code char(6) UNIQUE,
        parent_id uuid REFERENCES organizations(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind IN ('municipality','prefecture')) = (local_government_code IS NOT NULL))
      )`);
    await q.query(`
      CREATE TABLE api_clients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id text NOT NULL,
        secret_hash text NOT NULL,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        name text,
        scopes text[] NOT NULL,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX api_clients_client_id_key ON api_clients (client_id)`);
    await q.query(`CREATE INDEX api_clients_organization_id_idx ON api_clients (organization_id)`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL,
        display_name text NOT NULL,
        organization_id uuid NOT NULL REFERENCES organizations(id),
        roles text[] NOT NULL,
        password_hash text NOT NULL,
        totp_secret text,
        totp_enabled boolean NOT NULL DEFAULT false,
        totp_last_step bigint,
        failed_logins int NOT NULL DEFAULT 0,
        locked_until timestamptz,
        disabled boolean NOT NULL DEFAULT false,
        token_version int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON users (username)`);
    await q.query(`CREATE INDEX users_organization_id_idx ON users (organization_id)`);
    await q.query(`
      CREATE TABLE audit_events (
        id bigserial PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor_type text NOT NULL,
        actor_id text,
        organization_id uuid,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        record_id uuid,
        outcome text NOT NULL CHECK (outcome IN ('success','denied','failure')),
        reason_code text,
        request_id text,
        source_ip text,
        details jsonb,
        leaf_index bigint UNIQUE
      )`);
    await q.query(`CREATE INDEX audit_events_occurred_at_idx ON audit_events (occurred_at, id)`);
    await q.query(`CREATE INDEX audit_events_org_idx ON audit_events (organization_id, id)`);
    await q.query(`CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id)`);
    await q.query(`CREATE INDEX audit_events_record_idx ON audit_events (record_id, id) WHERE record_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_events_action_idx ON audit_events (action, id)`);
    await q.query(`CREATE INDEX audit_events_unsealed_idx ON audit_events (id) WHERE leaf_index IS NULL`);
    // Append-only: no DELETE, no TRUNCATE, and no UPDATE except sealing (leaf_index from NULL once).
    await q.query(`
      CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE'
           AND OLD.leaf_index IS NULL AND NEW.leaf_index IS NOT NULL
           AND (to_jsonb(NEW) - 'leaf_index') = (to_jsonb(OLD) - 'leaf_index') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`);
    await q.query(`
      CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP FUNCTION audit_events_append_only()`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE api_clients`);
    await q.query(`DROP TABLE organizations`);
  }
}
