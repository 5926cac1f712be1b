import { MigrationInterface, QueryRunner } from 'typeorm';

export class Exchange1764300000000 implements MigrationInterface {
  name = 'Exchange1764300000000';

  public async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE safeguards (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organizations(id),
        version int NOT NULL,
        status text NOT NULL CHECK (status IN ('submitted','active','rejected','suspended','expired','superseded')),
        legal_basis jsonb NOT NULL,
        responsible_department text NOT NULL,
        contact_point jsonb NOT NULL,
        privacy_officer text NOT NULL,
        overall_manager text,
        retention jsonb NOT NULL,
        file_register_entry text,
        measures jsonb NOT NULL,
        purposes text[] NOT NULL,
        attested_by jsonb NOT NULL,
        attested_on date NOT NULL,
        valid_until timestamptz,
        reviewed_by uuid,
        reviewed_at timestamptz,
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, version)
      )`);
    // At most one active version per organisation.
    await q.query(`CREATE UNIQUE INDEX safeguards_one_active ON safeguards (organization_id) WHERE status = 'active'`);
    await q.query(`CREATE INDEX safeguards_status_idx ON safeguards (status, created_at)`);

    await q.query(`
      CREATE TABLE release_records (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        holder_org_id uuid NOT NULL REFERENCES organizations(id),
        external_ref text NOT NULL,
        record_ref text NOT NULL UNIQUE,
        full_name text NOT NULL,
        full_name_kana text,
        name_key text NOT NULL,
        kana_key text,
        birth_date date NOT NULL,
        sex text NOT NULL,
        release_date date NOT NULL,
        release_type text NOT NULL,
        facility_name text,
        admission_date date,
        residence_address text NOT NULL,
        residence_code char(6) NOT NULL,
        supervision jsonb,
        support_needs jsonb,
        offense jsonb,
        consents jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (holder_org_id, external_ref)
      )`);
    await q.query(`CREATE INDEX release_records_name_idx ON release_records (name_key, birth_date)`);
    await q.query(`CREATE INDEX release_records_kana_idx ON release_records (kana_key, birth_date) WHERE kana_key IS NOT NULL`);
    await q.query(`CREATE INDEX release_records_holder_idx ON release_records (holder_org_id, created_at DESC, id DESC)`);

    await q.query(`
      CREATE TABLE info_requests (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        requester_org_id uuid NOT NULL REFERENCES organizations(id),
        requester_client_id text NOT NULL,
        holder_org_id uuid NOT NULL REFERENCES organizations(id),
        record_id uuid NOT NULL REFERENCES release_records(id),
        purpose text NOT NULL,
        categories text[] NOT NULL,
        legal_ground jsonb NOT NULL,
        justification text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending','awaiting_second_approval','approved','rejected','withdrawn','expired','revoked','exhausted')),
        idempotency_key text NOT NULL,
        body_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        approved_categories text[],
        access_until timestamptz,
        max_retrievals int,
        retrievals int NOT NULL DEFAULT 0 CHECK (retrievals >= 0),
        decided_at timestamptz,
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (requester_org_id, idempotency_key),
        CHECK (max_retrievals IS NULL OR retrievals <= max_retrievals)
      )`);
    await q.query(`CREATE INDEX info_requests_requester_idx ON info_requests (requester_org_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX info_requests_holder_idx ON info_requests (holder_org_id, status, created_at, id)`);
    await q.query(`CREATE INDEX info_requests_open_idx ON info_requests (status, expires_at) WHERE status IN ('pending','awaiting_second_approval')`);
    await q.query(`CREATE INDEX info_requests_approved_idx ON info_requests (access_until) WHERE status = 'approved'`);

    await q.query(`
      CREATE TABLE decisions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL REFERENCES info_requests(id),
        stage int NOT NULL CHECK (stage IN (1, 2, 3)),
        decision text NOT NULL CHECK (decision IN ('approve','reject','revoke')),
        decided_by uuid NOT NULL REFERENCES users(id),
        organization_id uuid NOT NULL REFERENCES organizations(id),
        categories text[],
        access_until timestamptz,
        max_retrievals int,
        reason text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (request_id, stage)
      )`);

    await q.query(`
      CREATE TABLE disclosures (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        request_id uuid NOT NULL REFERENCES info_requests(id),
        record_id uuid NOT NULL REFERENCES release_records(id),
        recipient_org_id uuid NOT NULL REFERENCES organizations(id),
        categories text[] NOT NULL,
        data_digest text NOT NULL,
        audit_event_id bigint NOT NULL REFERENCES audit_events(id),
        retrieved_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX disclosures_record_idx ON disclosures (record_id, retrieved_at DESC)`);
    await q.query(`CREATE INDEX disclosures_request_idx ON disclosures (request_id)`);
  }

  public async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE disclosures`);
    await q.query(`DROP TABLE decisions`);
    await q.query(`DROP TABLE info_requests`);
    await q.query(`DROP TABLE release_records`);
    await q.query(`DROP TABLE safeguards`);
  }
}
