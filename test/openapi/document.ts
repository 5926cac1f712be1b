// The OpenAPI document exactly as the service serves it: an application built the way the e2e tests
// build it (test/support/test-app.ts), on a database copied from a freshly migrated template, and
// asked for GET /api/docs-json. With DATABASE_URL unset an embedded PostgreSQL is started and removed.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTestApp, TestApp } from '../support/test-app';

export const ROOT = join(__dirname, '..', '..');
/** Where the committed client types live; `npm run openapi:types` writes them. */
export const TYPES_FILE = join(ROOT, 'test', 'client', 'openapi.d.ts');

/** Answers the served document of a running test application. */
export async function servedDocument(t: TestApp): Promise<Record<string, unknown>> {
  const res = await t.http.get('/api/docs-json');
  if (res.status !== 200) throw new Error(`GET /api/docs-json answered ${res.status}`);
  return res.body as Record<string, unknown>;
}

/** Starts the test database, builds the application, fetches its document and tears everything down. */
export async function fetchServedDocument(): Promise<Record<string, unknown>> {
  const setup = await import('../support/global-setup.mjs');
  const teardown = await import('../support/global-teardown.mjs');
  await setup.default();
  try {
    const t = await createTestApp();
    try {
      return await servedDocument(t);
    } finally {
      await t.close();
    }
  } finally {
    await teardown.default();
  }
}

/** Writes a document to a new temporary folder; answers the file. */
export function writeTemporary(document: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'oie-openapi-')), 'openapi.json');
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  return file;
}

/** Writes a document to a temporary folder for `fn`, and removes the folder afterwards. */
export function withTemporary<T>(document: unknown, fn: (file: string) => T): T {
  const file = writeTemporary(document);
  try {
    return fn(file);
  } finally {
    rmSync(dirname(file), { recursive: true, force: true });
  }
}

function bin(pkg: string, name: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const manifest = require(`${pkg}/package.json`) as { bin: Record<string, string> };
  return join(ROOT, 'node_modules', pkg, manifest.bin[name]!);
}

const quietEnv = {
  ...process.env,
  REDOCLY_TELEMETRY: 'off',
  REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
  NO_COLOR: '1',
};

/**
 * `openapi-typescript <document> -o <out>`; throws with its output when it fails. A member with a
 * `default` stays optional (`--default-non-nullable false`): the server fills it in when it is absent.
 */
export function generateTypes(documentFile: string, outFile: string): void {
  const run = spawnSync(process.execPath, typesArgs(documentFile, outFile), { cwd: ROOT, env: quietEnv, encoding: 'utf8' });
  if (run.status !== 0)
    throw new Error(`openapi-typescript failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
}

function typesArgs(documentFile: string, outFile: string): string[] {
  return [bin('openapi-typescript', 'openapi-typescript'), documentFile, '--default-non-nullable', 'false', '--output', outFile];
}

/**
 * The same without blocking the event loop: a test whose application serves in the same process
 * keeps answering (a blocked loop lets the server drop a kept-alive connection the client reuses).
 */
export async function generateTypesAsync(documentFile: string, outFile: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile(process.execPath, typesArgs(documentFile, outFile), { cwd: ROOT, env: quietEnv, encoding: 'utf8' }, (err, stdout, stderr) =>
      err ? reject(new Error(`openapi-typescript failed:\n${stdout}\n${stderr}`)) : resolve(),
    ),
  );
}

export interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/** `redocly lint` with test/openapi/.redocly.yaml (the recommended rules); answers its totals and problems. */
export function lint(documentFile: string): { errors: number; warnings: number; problems: LintProblem[] } {
  const run = spawnSync(
    process.execPath,
    [
      bin('@redocly/cli', 'redocly'),
      'lint',
      '--config',
      join(ROOT, 'test', 'openapi', '.redocly.yaml'),
      '--format',
      'json',
      '--max-problems',
      '1000',
      documentFile,
    ],
    {
      cwd: ROOT,
      env: quietEnv,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const start = run.stdout.indexOf('{');
  if (start < 0)
    throw new Error(`redocly lint answered no report (${run.status}):\n${run.stdout}\n${run.stderr}`);
  const report = JSON.parse(run.stdout.slice(start)) as {
    totals: { errors: number; warnings: number };
    problems: LintProblem[];
  };
  return { errors: report.totals.errors, warnings: report.totals.warnings, problems: report.problems };
}
