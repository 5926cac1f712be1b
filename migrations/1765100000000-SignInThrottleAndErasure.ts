import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sign-in throttling by (account, source address) and by source address, replacing the lockout of
 * the account itself; and erasure obligations of requests that ended after data was retrieved,
 * with their attestations.
 *
 * An erasure obligation is written by a trigger when a request whose data was retrieved reaches
 * `expired`, `revoked` or `exhausted`, whichever path moved it there (the scheduled expiry, a
 * revocation, the last retrieval): the due date is the end plus the retention days of the
 * requester's safeguards (the active version, else the newest). `info_requests` itself is not
 * written here.
 */
export class SignInThrottleAndErasure1765100000000 implements MigrationInterface {
  name = 'SignInThrottleAndErasure1765100000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sign_in_throttle (
        key text PRIMARY KEY,
        failures int NOT NULL DEFAULT 0,
        blocked_until timestamptz,
        last_failure_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX sign_in_throttle_last_failure_idx ON sign_in_throttle (last_failure_at)`);

    await q.query(`
      CREATE TABLE erasure_obligations (
        request_id uuid PRIMARY KEY REFERENCES info_requests(id),
        requester_org_id uuid NOT NULL REFERENCES organizations(id),
        holder_org_id uuid NOT NULL REFERENCES organizations(id),
        ended_status text NOT NULL CHECK (ended_status IN ('expired', 'revoked', 'exhausted')),
        ended_at timestamptz NOT NULL,
        retention_days int NOT NULL,
        due_at timestamptz NOT NULL,
        due_notified_at timestamptz,
        overdue_notified_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX erasure_obligations_requester_idx ON erasure_obligations (requester_org_id, due_at)`);
    await q.query(`
      CREATE TABLE erasure_attestations (
        request_id uuid PRIMARY KEY REFERENCES erasure_obligations(request_id),
        organization_id uuid NOT NULL REFERENCES organizations(id),
        client_id text NOT NULL,
        disposed_on date NOT NULL,
        method text NOT NULL,
        attested_by jsonb NOT NULL,
        note text,
        attested_at timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION erasure_obligation_on_end() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        ended timestamptz;
        days int;
      BEGIN
        IF NEW.retrievals > 0 AND NEW.status IN ('expired', 'revoked', 'exhausted') AND OLD.status = 'approved' THEN
          ended := CASE WHEN NEW.status = 'expired' AND NEW.access_until IS NOT NULL THEN NEW.access_until ELSE now() END;
          SELECT coalesce((s.retention->>'days')::int, 0) INTO days FROM safeguards s
            WHERE s.organization_id = NEW.requester_org_id
            ORDER BY (s.status = 'active') DESC, s.version DESC LIMIT 1;
          INSERT INTO erasure_obligations (request_id, requester_org_id, holder_org_id, ended_status, ended_at, retention_days, due_at)
          VALUES (NEW.id, NEW.requester_org_id, NEW.holder_org_id, NEW.status, ended, coalesce(days, 0), ended + make_interval(days => coalesce(days, 0)))
          ON CONFLICT (request_id) DO NOTHING;
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER info_requests_erasure_obligation AFTER UPDATE OF status ON info_requests
        FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION erasure_obligation_on_end()`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS info_requests_erasure_obligation ON info_requests`);
    await q.query(`DROP FUNCTION IF EXISTS erasure_obligation_on_end()`);
    await q.query(`DROP TABLE IF EXISTS erasure_attestations`);
    await q.query(`DROP TABLE IF EXISTS erasure_obligations`);
    await q.query(`DROP TABLE IF EXISTS sign_in_throttle`);
  }
}
