import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// src/build.js is plain JavaScript: `npm start` needs it before anything is compiled.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require('./build.js') as {
  sourceFiles(root: string): string[];
  sourceFingerprint(root: string): string;
  isBuildCurrent(root: string): boolean;
  STAMP: string;
};

describe('build fingerprint (npm start compiles only when dist/ is out of date)', () => {
  let root: string;
  const write = (rel: string, text: string) => {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'oie-build-'));
    write('tsconfig.json', '{}');
    write('package-lock.json', '{}');
    write('src/main.ts', 'main');
    write('src/a/b.ts', 'b');
    write('src/console/views/page.hbs', 'read at run time, not compiled');
    write('config/env.schema.ts', 'schema');
    write('config/policy.json', '{}');
    write('migrations/1-init.ts', 'init');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('covers what tsconfig.json includes, plus tsconfig.json and the lock file', () => {
    expect(build.sourceFiles(root)).toEqual([
      'config/env.schema.ts',
      'config/policy.json',
      'migrations/1-init.ts',
      'package-lock.json',
      'src/a/b.ts',
      'src/main.ts',
      'tsconfig.json',
    ]);
  });

  it('changes when a source is edited, added, renamed or removed, and only then', () => {
    const before = build.sourceFingerprint(root);
    expect(build.sourceFingerprint(root)).toBe(before);
    write('src/console/views/page.hbs', 'changed');
    expect(build.sourceFingerprint(root)).toBe(before);
    write('src/a/b.ts', 'b2');
    const edited = build.sourceFingerprint(root);
    expect(edited).not.toBe(before);
    write('migrations/2-more.ts', 'more');
    const added = build.sourceFingerprint(root);
    expect(added).not.toBe(edited);
    rmSync(join(root, 'migrations/2-more.ts'));
    expect(build.sourceFingerprint(root)).toBe(edited);
    rmSync(join(root, 'src/a/b.ts'));
    write('src/a/c.ts', 'b2');
    expect(build.sourceFingerprint(root)).not.toBe(edited);
  });

  it('counts dist/ as current only when its stamp matches and the entry point exists', () => {
    expect(build.isBuildCurrent(root)).toBe(false);
    write(build.STAMP, `${build.sourceFingerprint(root)}\n`);
    expect(build.isBuildCurrent(root)).toBe(false);
    write('dist/src/main.js', '');
    expect(build.isBuildCurrent(root)).toBe(true);
    write('tsconfig.json', '{"compilerOptions":{}}');
    expect(build.isBuildCurrent(root)).toBe(false);
  });
});
