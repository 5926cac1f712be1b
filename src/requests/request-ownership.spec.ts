import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : /\.ts$/.test(p) && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/** Statements or repository calls that write `info_requests`. */
const WRITES = [
  /\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM|TRUNCATE(\s+TABLE)?)\s+info_requests\b/i,
  /getRepository\(\s*InfoRequest\s*\)\s*\.\s*(save|insert|update|upsert|delete|remove|increment|decrement|softDelete|restore)\b/,
  /Repository<\s*InfoRequest\s*>/,
  /\.(save|insert|update|upsert|delete|remove)\(\s*InfoRequest\b/,
];

describe('one owner of a request’s state', () => {
  it('writes info_requests only in the requests module (requests.service.ts and request-writes.ts)', () => {
    const offenders: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (rel === 'src/requests/requests.service.ts' || rel === 'src/requests/request-writes.ts') continue;
      const text = readFileSync(file, 'utf8');
      for (const re of WRITES) if (re.test(text)) offenders.push(`${rel}: ${re.source}`);
    }
    expect(offenders).toEqual([]);
  });

  it('would notice a write elsewhere', () => {
    expect(WRITES.some((re) => re.test('await tx.query(`UPDATE info_requests SET status = $1`)'))).toBe(true);
    expect(WRITES.some((re) => re.test('this.txHost.tx.getRepository(InfoRequest).update({ id }, {})'))).toBe(true);
  });
});
