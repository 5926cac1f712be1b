// @ts-check
'use strict';
/*
 * Compiles the TypeScript into dist/ (`npm run build`), and tells whether that is needed
 * (`npm start`, through src/start.js). A build writes a fingerprint of what it compiled (the
 * content of every file tsconfig.json includes, tsconfig.json itself and the lock file) to
 * dist/.sources.sha256; dist/ is current when the sources still have that fingerprint.
 */
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const STAMP = join('dist', '.sources.sha256');

/**
 * The files the output depends on, relative to `root`, sorted. Mirrors "include" in tsconfig.json
 * (src/config/migrations .ts, config .json), plus tsconfig.json and package-lock.json.
 * @param {string} root
 * @returns {string[]}
 */
function sourceFiles(root = ROOT) {
  /** @type {string[]} */
  const files = ['tsconfig.json', 'package-lock.json'].filter((f) => existsSync(join(root, f)));
  /** @param {string} dir @param {(name: string) => boolean} keep */
  const walk = (dir, keep) => {
    if (!existsSync(join(root, dir))) return;
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel, keep);
      else if (keep(entry.name)) files.push(rel);
    }
  };
  /** @param {string} name */
  const ts = (name) => name.endsWith('.ts');
  walk('src', ts);
  walk('config', (name) => ts(name) || name.endsWith('.json'));
  walk('migrations', ts);
  return files.sort();
}

/**
 * SHA-256 over the names and contents of the source files.
 * @param {string} root
 * @returns {string}
 */
function sourceFingerprint(root = ROOT) {
  const hash = createHash('sha256');
  for (const file of sourceFiles(root)) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * Whether dist/ was compiled from the sources as they are now.
 * @param {string} root
 * @returns {boolean}
 */
function isBuildCurrent(root = ROOT) {
  try {
    if (!existsSync(join(root, 'dist', 'src', 'main.js'))) return false;
    return readFileSync(join(root, STAMP), 'utf8').trim() === sourceFingerprint(root);
  } catch {
    return false;
  }
}

/**
 * Runs tsc over tsconfig.json; when it succeeds, records the fingerprint of the sources as they
 * were when it began (a file changed meanwhile makes the next start compile again). Answers tsc's
 * exit status.
 * @param {string} root
 * @param {string[]} args extra tsc arguments
 * @returns {number}
 */
function build(root = ROOT, args = []) {
  const fingerprint = sourceFingerprint(root);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), ...args], { cwd: root, stdio: 'inherit' });
  const status = run.status ?? 1;
  if (status === 0) writeFileSync(join(root, STAMP), `${fingerprint}\n`);
  return status;
}

module.exports = { sourceFiles, sourceFingerprint, isBuildCurrent, build, STAMP };

if (require.main === module) process.exit(build(ROOT, process.argv.slice(2)));
