// @ts-check
'use strict';
/*
 * `npm start` runs `exec node src/start.js`: the shell npm starts replaces itself with node, so the
 * process npm waits on is the service itself. npm passes SIGTERM and SIGINT on to it, and exits
 * with its status once it has stopped.
 *
 * This compiles the TypeScript first only when dist/ does not match the sources (see build.js),
 * then runs the service in this same process.
 */
const { build, isBuildCurrent } = require('./build.js');

// Node 22.1 and later keep the compiled code of every module on disk (under the OS temporary
// folder), so a restart loads the service faster; Node 20 has no such cache.
require('node:module').enableCompileCache?.();

if (!isBuildCurrent()) {
  process.stderr.write('dist/ was not built from these sources: compiling them first (npm run build)\n');
  const status = build();
  if (status !== 0) process.exit(status);
}
require('../dist/src/main.js');
