import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ACTION_GROUP_KEYS, ACTION_GROUPS, actionCodes, actionInfo, actionsOf } from './actions';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.spec.ts') ? [p] : [];
  });
}

const CODE = /'([a-z][a-z_]*(?:\.[a-z][a-z_]*)+)'/g;

/**
 * Action codes the code records, found by reading the source: the value of every `action:` member
 * (ternaries included), the first string of the helpers that record a refusal under a code they are
 * given (`notVisible`, `refuse`, `findVisible`), and events written with raw SQL.
 */
function codesInSource(): Set<string> {
  const found = new Set<string>();
  const add = (text: string) => {
    for (const m of text.matchAll(CODE)) found.add(m[1]!);
  };
  const patterns = [
    // `action: 'x.y'` or `action: cond ? 'x.y' : 'x.z'`, up to the end of the member
    /\baction:\s*([^,}\n]*(?:\?[^,}\n]*:[^,}\n]*)?)/g,
    /\b(?:notVisible|refuse)\(\s*('[^']*')/g,
    /\bfindVisible\([^()]*?,\s*('[^']*')/g,
    /INSERT INTO audit_events[^`]*?VALUES\s*\(([^`]*?)\)/g,
  ];
  for (const file of sources(join(__dirname, '..'))) {
    const text = readFileSync(file, 'utf8');
    for (const re of patterns) for (const m of text.matchAll(re)) add(m[1]!);
  }
  return found;
}

describe('audit action catalogue', () => {
  const inSource = codesInSource();

  it('finds the codes written in each of the ways the source records them', () => {
    // a member, a ternary, a refusal helper, a lookup helper, raw SQL: if one of these is missing the scan is broken
    for (const code of ['request.create', 'request.approve.first', 'request.reject', 'record.disclosures.read', 'webhook.rotate_secret', 'webhook.read', 'keys.rotate', 'access.denied']) expect([code, inSource.has(code)]).toEqual([code, true]);
    expect(inSource.size).toBeGreaterThan(50);
  });

  it('labels every action code the source records', () => {
    expect([...inSource].filter((c) => !actionInfo(c)).sort()).toEqual([]);
  });

  it('names no code that nothing records', () => {
    expect(actionCodes().filter((c) => !inSource.has(c)).sort()).toEqual([]);
  });

  it('puts a decision and its refusal under one group', () => {
    expect(actionsOf('decision').sort()).toEqual(['request.approve', 'request.approve.first', 'request.decide', 'request.reject']);
    expect(actionInfo('request.decide')?.group).toBe('decision');
    expect(actionsOf('no-such-group')).toEqual([]);
  });

  it('has non-empty, distinct Japanese and English labels', () => {
    const groupLabels = { ja: new Set<string>(), en: new Set<string>() };
    for (const g of ACTION_GROUP_KEYS) {
      const group = ACTION_GROUPS[g];
      for (const lang of ['ja', 'en'] as const) {
        expect(group.label[lang].length).toBeGreaterThan(1);
        expect([g, groupLabels[lang].has(group.label[lang])]).toEqual([g, false]);
        groupLabels[lang].add(group.label[lang]);
      }
      for (const [code, label] of Object.entries(group.actions)) {
        expect(code).toMatch(/^[a-z][a-z_]*(\.[a-z][a-z_]*)+$/);
        expect([code, label.ja.length > 1 && label.en.length > 1]).toEqual([code, true]);
      }
    }
  });
});
