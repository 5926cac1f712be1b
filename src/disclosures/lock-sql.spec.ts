import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_SQL } from './disclosures.service';

/** The columns a SELECT reads, in order, whitespace-normalised (commas inside an expression's braces kept). */
function selectList(sql: string): string[] {
  const body = sql.slice(sql.indexOf('SELECT r.status'), sql.indexOf('FROM info_requests r'));
  return body
    .replace(/\s+/g, ' ')
    .replace(/EXISTS \(.*?\) AS/, 'EXISTS AS')
    .replace(/^SELECT /, '')
    .split(/,(?![^{]*\})/)
    .map((c) => c.trim())
    .filter(Boolean);
}

describe('the bench runs the disclosure SQL the service runs', () => {
  it('reads the same columns (sealed ones and the wrapped data key) as LOCK_SQL', () => {
    const bench = readFileSync(join(__dirname, '..', '..', 'test', 'bench', 'disclosure.pgbench.sql'), 'utf8');
    const service = selectList(LOCK_SQL);
    expect(service).toContain('rec.dek_wrapped');
    expect(service).toContain("CASE WHEN r.approved_categories && '{identity}'::text[] THEN rec.full_name_enc END AS full_name_enc");
    // No category discloses the consents: a disclosure never reads them.
    expect(service.join(' ')).not.toContain('consents_enc');
    expect(selectList(bench)).toEqual(service);
  });
});
