-- One disclosure, as the SQL the service runs for GET /api/v1/requests/:id/disclosure
-- (src/disclosures/disclosures.service.ts, src/audit/audit.service.ts), for pgbench -M extended.
-- The targets (approved requests) come from bench.disclosure_targets, filled by test/bench/run.ts;
-- that lookup is the only statement the service does not run. The retrieval counter is rewritten
-- with its own value (same row write, no state change), so the approved requests stay usable.
\set n random(1, :ntargets)
SELECT req, org, rec FROM bench.disclosure_targets WHERE n = :n \gset
BEGIN;
SELECT r.* FROM info_requests r WHERE r.id = :req AND r.requester_org_id = :org FOR UPDATE;
SELECT s.* FROM safeguards s WHERE s.organization_id = :org AND s.status = 'active' AND s.valid_until > now();
SELECT * FROM release_records WHERE id = :rec LIMIT 1;
UPDATE info_requests SET retrievals = retrievals, updated_at = now() WHERE id = :req;
INSERT INTO audit_events (actor_type, actor_id, organization_id, action, resource_type, resource_id, record_id, outcome, reason_code, request_id, source_ip, details)
  VALUES ('client', 'oie_pgbench', :org, 'disclosure.retrieve', 'request', :req, :rec, 'success', NULL, md5(random()::text), '127.0.0.1',
          '{"categories": ["identity", "release", "residence", "support_needs"], "dataDigest": "pgbench", "retrieval": 1}')
  RETURNING id AS aid \gset
INSERT INTO disclosures (request_id, record_id, recipient_org_id, categories, data_digest, audit_event_id, retrieved_at)
  VALUES (:req, :rec, :org, '{identity,release,residence,support_needs}', 'pgbench', :aid, now()) RETURNING id;
SELECT * FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1;
END;
