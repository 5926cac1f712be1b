// How fast this machine hashes today, for reading the verification figures across machines: the
// shared 2-core machines differ by a factor of two or more from one day (or host) to another, and
// verification is mostly SHA-256 calls of these two sizes (a leaf of about 500 bytes, a node of 65).
// One thread, best of five rounds of 100,000 one-shot hashes each, as the verifiers call them.
import { createHash, hash } from 'node:crypto';

export interface MachineSpeed {
  /** One SHA-256 of 500 bytes (nanoseconds). */
  sha256Leaf500Ns: number;
  /** One SHA-256 of 65 bytes (nanoseconds). */
  sha256Node65Ns: number;
}

function perHash(bytes: number, rounds = 5, n = 100_000): number {
  const data = Buffer.alloc(bytes, 0x61);
  const one: (d: Buffer) => string = typeof hash === 'function' ? (d) => hash('sha256', d, 'binary') : (d) => createHash('sha256').update(d).digest('binary');
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) one(data);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / n);
  }
  return Math.round(best);
}

export function machineSpeed(): MachineSpeed {
  return { sha256Leaf500Ns: perHash(500), sha256Node65Ns: perHash(65) };
}

export function describeSpeed(s: MachineSpeed): string {
  return `one SHA-256 of 500 B ${s.sha256Leaf500Ns} ns, of 65 B ${s.sha256Node65Ns} ns (one thread, best of 5)`;
}

if (require.main === module) process.stdout.write(`${describeSpeed(machineSpeed())}\n`);
