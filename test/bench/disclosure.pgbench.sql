-- One disclosure, as the SQL the service runs for GET /api/v1/requests/:id/disclosure
-- (LOCK_SQL in src/disclosures/disclosures.service.ts, the write in src/requests/request-writes.ts), for pgbench -M extended.
-- The targets (approved requests) come from bench.disclosure_targets, filled by test/bench/run.ts;
-- that lookup is the only statement the service does not run. The retrieval counter is rewritten
-- with its own value (same row write, no state change), so the approved requests stay usable.
-- The service reads the latest checkpoint at most once a second (cached), so it is not here.
-- The record's columns are sealed, and only those of the approved categories are read: the service
-- unwraps the data key and opens them in Node, which pgbench cannot do; the bench reports that cost
-- separately (test/bench/support/crypto-cost.ts).
\set n random(1, :ntargets)
SELECT req, org, rec FROM bench.disclosure_targets WHERE n = :n \gset
BEGIN;
SELECT r.status, r.record_id, r.approved_categories, r.access_until, r.max_retrievals, r.retrievals,
       EXISTS (SELECT 1 FROM safeguards s
                WHERE s.organization_id = r.requester_org_id AND s.status = 'active' AND s.valid_until > now()) AS safeguards_active,
       rec.erased_at IS NOT NULL AS erased, rec.kek_id, rec.dek_wrapped, rec.residence_code,
       CASE WHEN r.approved_categories && '{identity}'::text[] THEN rec.full_name_enc END AS full_name_enc,
       CASE WHEN r.approved_categories && '{identity}'::text[] THEN rec.full_name_kana_enc END AS full_name_kana_enc,
       CASE WHEN r.approved_categories && '{identity}'::text[] THEN rec.birth_date_enc END AS birth_date_enc,
       CASE WHEN r.approved_categories && '{identity}'::text[] THEN rec.sex_enc END AS sex_enc,
       CASE WHEN r.approved_categories && '{release}'::text[] THEN rec.release_date_enc END AS release_date_enc,
       CASE WHEN r.approved_categories && '{release}'::text[] THEN rec.release_type_enc END AS release_type_enc,
       CASE WHEN r.approved_categories && '{release}'::text[] THEN rec.facility_name_enc END AS facility_name_enc,
       CASE WHEN r.approved_categories && '{release}'::text[] THEN rec.admission_date_enc END AS admission_date_enc,
       CASE WHEN r.approved_categories && '{residence}'::text[] THEN rec.residence_address_enc END AS residence_address_enc,
       CASE WHEN r.approved_categories && '{supervision}'::text[] THEN rec.supervision_enc END AS supervision_enc,
       CASE WHEN r.approved_categories && '{support_needs}'::text[] THEN rec.support_needs_enc END AS support_needs_enc,
       CASE WHEN r.approved_categories && '{offense}'::text[] THEN rec.offense_enc END AS offense_enc
  FROM info_requests r JOIN release_records rec ON rec.id = r.record_id
 WHERE r.id = :req AND r.requester_org_id = :org
   FOR UPDATE OF r;
WITH counted AS (
    UPDATE info_requests SET retrievals = retrievals, status = status, updated_at = now() WHERE id = :req AND status = 'approved'
  ), event AS (
    INSERT INTO audit_events (actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id, outcome, reason_code, request_id, source_ip, details)
    VALUES ('client', 'oie_pgbench', :org, 'disclosure.retrieve', 'request', :req, :rec, 'success', NULL, md5(random()::text), '127.0.0.1',
            '{"categories": ["identity", "release", "residence", "support_needs"], "dataDigest": "pgbench", "retrieval": 1}')
    RETURNING id
  )
  INSERT INTO disclosures (request_id, record_id, recipient_org_id, categories, data_digest, audit_event_id, retrieved_at)
  SELECT :req, :rec, :org, '{identity,release,residence,support_needs}', 'pgbench', event.id, now() FROM event
  RETURNING audit_event_id;
END;
