import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const SELF = 'test/repository.e2e-spec.ts';

/** Every file git tracks or would track (untracked but not ignored), so a secret cannot slip in unseen. */
function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && f !== SELF && !f.endsWith('package-lock.json') && !/\.(png|jpg|ico)$/.test(f));
}

const SECRET_PATTERNS: [string, RegExp][] = [
  ['private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{40,}/],
  ['JSON web token', /eyJ[A-Za-z0-9_-]{15,}\.eyJ[A-Za-z0-9_-]{15,}\.[A-Za-z0-9_-]{20,}/],
  ['AWS access key', /AKIA[0-9A-Z]{16}/],
  ['generic secret assignment', /(client_secret|clientSecret|password)\s*[:=]\s*['"][A-Za-z0-9_\-+/]{32,}['"]/],
];

describe('the repository', () => {
  const files = repositoryFiles();

  it('holds no private key, token or secret', () => {
    const found: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const [name, re] of SECRET_PATTERNS) if (re.test(text)) found.push(`${f}: ${name}`);
    }
    expect(found).toEqual([]);
  });

  it('names no machine path', () => {
    const found = files.filter((f) => /(^|[\s'"`(])\/(work|root|home\/[a-z]+)\//m.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('keeps the top level to the agreed layout', () => {
    const top = new Set(files.map((f) => f.split('/')[0]!));
    const allowed = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'nest-cli.json', 'src', 'migrations', 'config', 'test', 'README.md', '.ci', '.gitignore', '.prettierrc', '.eslint.config.mjs']);
    expect([...top].filter((x) => !allowed.has(x))).toEqual([]);
  });
});
