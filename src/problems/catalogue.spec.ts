import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DisclosureRefusal } from '../disclosures/disclosures.errors';
import { STATUS_SLUGS } from '../common/problem';
import { isProblemSlug, PROBLEM_TYPES } from './catalogue';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

/** Slugs the code hands to an error class or to the problem writers, found by reading the source. */
function slugsInSource(): Set<string> {
  const found = new Set<string>();
  const patterns = [
    /new (?:RuleViolationError|BadRequestError|ConflictError|ForbiddenError|UnauthenticatedError)\(\s*'([a-z][a-z0-9-]*)'/g,
    /\bsuper\(\s*'([a-z][a-z0-9-]*)'\s*,/g,
    /readonly code = '([a-z][a-z0-9-]*)'/g,
    /sendProblem\([^,]+,[^,]+,[^,]+,\s*'([a-z][a-z0-9-]*)'/g,
    /base\(\d{3},\s*'([a-z][a-z0-9-]*)'/g,
  ];
  for (const file of sources(join(__dirname, '..'))) {
    if (file.includes(`${join('src', 'console')}`)) continue; // console errors answer pages, not problem details
    const text = readFileSync(file, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) found.add(m[1]);
  }
  return found;
}

describe('problem type catalogue', () => {
  it('explains every problem slug the code can answer', () => {
    const slugs = slugsInSource();
    expect(slugs.size).toBeGreaterThan(40);
    expect([...slugs].filter((s) => !isProblemSlug(s))).toEqual([]);
  });

  it('explains the generic slug of every status and every disclosure refusal', () => {
    const refusals: DisclosureRefusal[] = ['not-approved', 'approval-revoked', 'access-window-closed', 'retrievals-exhausted', 'safeguards-not-active'];
    expect([...Object.values(STATUS_SLUGS), ...refusals].filter((s) => !isProblemSlug(s))).toEqual([]);
  });

  it('gives each entry a status and non-empty Japanese and English texts', () => {
    for (const [slug, p] of Object.entries(PROBLEM_TYPES)) {
      expect([slug, p.status >= 400 && p.status < 600]).toEqual([slug, true]);
      for (const text of [p.title.ja, p.title.en, p.explanation.ja, p.explanation.en]) expect(text.length).toBeGreaterThan(2);
    }
  });
});
