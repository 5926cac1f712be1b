/**
 * A witness of the c2sp.org/tlog-witness protocol: it cosigns a log's checkpoint only when it is
 * signed by the log and consistent with the last checkpoint it cosigned for that log, and it keeps
 * that checkpoint durably in its own directory (never in the log's database) before answering.
 *
 *   POST /add-checkpoint                 the standard submission call
 *   GET  /checkpoint?origin=<origin>     its latest cosigned checkpoint of that log, as a signed
 *                                        note with its cosignature (not in the standard; for verifiers)
 *   GET  /verifier-key                   its verifier key (type 0x04, c2sp.org/tlog-cosignature)
 */
import { createPrivateKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { verifyConsistency } from '../audit/merkle';
import {
  cosigner,
  decodeBase64,
  ed25519Raw,
  formatNote,
  isKeyName,
  makeSignature,
  NoteError,
  NoteSigner,
  NoteVerifier,
  openNote,
  parseCheckpointText,
  parseNote,
  parseVerifierKey,
  SIG_COSIGNATURE_V1,
  SIG_ED25519,
  signatureLine,
  verifierKey,
} from '../audit/note';

const MAX_BODY = 64 * 1024;
const MAX_PROOF_LINES = 63;

export interface WitnessedLog {
  origin: string;
  verifiers: NoteVerifier[];
}

export interface WitnessOptions {
  dataDir: string;
  name: string;
  logs: WitnessedLog[];
  /** Where lines of its own log go (JSON, one per line); never any content of the checkpoints but sizes. */
  log?: (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
}

interface LogState {
  size: number;
  rootHash: string;
  /** The checkpoint as submitted (the log's signatures) with this witness's cosignature. */
  note: string;
  cosignedAt: string;
}

interface StateFile {
  version: 1;
  name: string;
  logs: Record<string, LogState>;
}

/** Writes a file so that it is either the old or the new content after a crash: temp, fsync, rename, fsync the folder. */
export async function writeDurably(file: string, data: string | Buffer, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Parses one `[<origin> ]<verifier key>` entry (the origin defaults to the key's name). */
export function parseLogEntry(entry: string): WitnessedLog {
  const parts = entry.trim().split(/\s+/);
  if (parts.length < 1 || parts.length > 2 || !parts[0]) throw new NoteError(`a log is "[<origin>] <verifier key>": ${JSON.stringify(entry)}`);
  const vkey = parts[parts.length - 1]!;
  const v = parseVerifierKey(vkey);
  if (v.type !== SIG_ED25519) throw new NoteError('a log key must be an Ed25519 note key (type 0x01)');
  return { origin: parts.length === 2 ? parts[0]! : v.name, verifiers: [v] };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body?: string,
    readonly contentType = 'text/plain; charset=utf-8',
  ) {
    super(message);
  }
}

export class Witness {
  private readonly key: KeyObject;
  private readonly signer: NoteSigner;
  private state: StateFile;
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly logs = new Map<string, WitnessedLog>();
  private server?: Server;
  private readonly lockFile: string;
  private readonly stateFile: string;

  constructor(private readonly opts: WitnessOptions) {
    if (!isKeyName(opts.name)) throw new NoteError('the witness name must be a key name: no spaces or plus signs');
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    this.lockFile = join(opts.dataDir, 'witness.lock');
    this.takeLock();
    const keyFile = join(opts.dataDir, 'witness-ed25519.pem');
    if (!existsSync(keyFile)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    }
    this.key = createPrivateKey(readFileSync(keyFile, 'utf8'));
    this.signer = cosigner(opts.name, this.key);
    this.stateFile = join(opts.dataDir, 'state.json');
    this.state = existsSync(this.stateFile) ? (JSON.parse(readFileSync(this.stateFile, 'utf8')) as StateFile) : { version: 1, name: opts.name, logs: {} };
    for (const l of opts.logs) this.logs.set(l.origin, l);
  }

  /** One witness process per data directory: a second one would break the atomic check-and-store. */
  private takeLock(): void {
    try {
      writeFileSync(this.lockFile, String(process.pid), { flag: 'wx' });
    } catch {
      const pid = Number(readFileSync(this.lockFile, 'utf8'));
      let alive = false;
      try {
        if (pid && pid !== process.pid) alive = process.kill(pid, 0);
      } catch {
        alive = false;
      }
      if (alive) throw new Error(`another witness (pid ${pid}) uses ${this.opts.dataDir}`);
      writeFileSync(this.lockFile, String(process.pid));
    }
  }

  verifierKey(): string {
    return verifierKey(this.opts.name, SIG_COSIGNATURE_V1, ed25519Raw(this.key));
  }

  private say(level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): void {
    this.opts.log?.(level, msg, fields);
  }

  listen(port: number, host = '127.0.0.1'): Promise<{ port: number }> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        const addr = this.server!.address();
        resolve({ port: typeof addr === 'object' && addr ? addr.port : port });
      });
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await Promise.all([...this.locks.values()].map((p) => p.catch(() => undefined)));
    try {
      if (readFileSync(this.lockFile, 'utf8') === String(process.pid)) unlinkSync(this.lockFile);
    } catch {
      // already gone
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://witness');
    try {
      if (url.pathname === '/add-checkpoint') {
        if (req.method !== 'POST') throw new HttpError(405, 'POST only');
        const body = await readBody(req);
        const line = await this.addCheckpoint(body);
        return send(res, 200, line, 'text/plain; charset=utf-8');
      }
      if (url.pathname === '/checkpoint' && (req.method === 'GET' || req.method === 'HEAD')) {
        const st = this.state.logs[url.searchParams.get('origin') ?? ''];
        if (!st) throw new HttpError(404, 'no checkpoint of that log cosigned here');
        return send(res, 200, st.note, 'text/plain; charset=utf-8');
      }
      if (url.pathname === '/verifier-key' && (req.method === 'GET' || req.method === 'HEAD')) return send(res, 200, `${this.verifierKey()}\n`, 'text/plain; charset=utf-8');
      throw new HttpError(404, 'not found');
    } catch (err) {
      if (err instanceof HttpError) return send(res, err.status, err.body ?? `${err.message}\n`, err.contentType);
      this.say('error', 'request failed', { kind: (err as Error).name });
      return send(res, 500, 'internal error\n', 'text/plain; charset=utf-8');
    }
  }

  /** The add-checkpoint call; answers the cosignature line(s). */
  async addCheckpoint(body: Buffer): Promise<string> {
    const text = body.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(body)) throw new HttpError(400, 'the body is not UTF-8');
    const blank = text.indexOf('\n\n');
    if (blank < 0) throw new HttpError(400, 'no empty line before the checkpoint');
    const head = text.slice(0, blank).split('\n');
    const m = /^old (0|[1-9]\d{0,15})$/.exec(head[0] ?? '');
    if (!m) throw new HttpError(400, 'the first line must be "old <size>"');
    const old = Number(m[1]);
    const proofLines = head.slice(1);
    if (proofLines.length > MAX_PROOF_LINES) throw new HttpError(400, 'too many proof lines');
    const proof = proofLines.map((l) => {
      const h = decodeBase64(l);
      if (!h || h.length !== 32) throw new HttpError(400, 'a proof line is not a base64 SHA-256 hash');
      return h;
    });
    let noteText: string;
    let cp: ReturnType<typeof parseCheckpointText>;
    try {
      const note = parseNote(text.slice(blank + 2));
      noteText = note.text;
      cp = parseCheckpointText(note.text);
    } catch {
      throw new HttpError(400, 'the checkpoint is not a well-formed signed note');
    }
    const log = this.logs.get(cp.origin);
    if (!log) throw new HttpError(404, 'unknown log origin');
    let logSigs;
    try {
      logSigs = openNote(text.slice(blank + 2), log.verifiers).verified.filter((s) => log.verifiers.some((v) => v.name === s.name && v.keyId === s.keyId));
    } catch {
      this.say('warn', 'refused a checkpoint without a valid log signature', { origin: cp.origin, size: cp.size });
      throw new HttpError(403, 'no valid signature of the log');
    }
    if (old > cp.size) throw new HttpError(400, 'old size is larger than the checkpoint');

    // Check against the stored state and store the new one atomically (per log).
    return this.serialised(cp.origin, async () => {
      const st = this.state.logs[cp.origin];
      const stored = st?.size ?? 0;
      const conflict = () => new HttpError(409, 'old size is not the latest cosigned size', `${stored}\n`, 'text/x.tlog.size');
      if (old !== stored) {
        this.say('info', 'old size mismatch', { origin: cp.origin, old, stored });
        throw conflict();
      }
      if (old === cp.size) {
        if (st && st.rootHash !== cp.rootHash.toString('base64')) {
          this.say('warn', 'refused a different root at the cosigned size: the log forked', { origin: cp.origin, size: cp.size });
          throw conflict();
        }
        if (proof.length) throw new HttpError(422, 'the proof must be empty for equal sizes');
      } else if (old === 0) {
        if (proof.length) throw new HttpError(400, 'the proof must be empty from size 0');
      } else if (!verifyConsistency(old, cp.size, proof, Buffer.from(st!.rootHash, 'base64'), cp.rootHash)) {
        this.say('warn', 'refused an inconsistent checkpoint', { origin: cp.origin, old, size: cp.size });
        throw new HttpError(422, 'the consistency proof does not verify');
      }
      const cosig = makeSignature(this.signer, noteText);
      const next: LogState = {
        size: cp.size,
        rootHash: cp.rootHash.toString('base64'),
        note: formatNote({ text: noteText, signatures: [...logSigs.map((s) => ({ name: s.name, keyId: s.keyId, base64: s.base64 })), cosig] }),
        cosignedAt: new Date().toISOString(),
      };
      const state: StateFile = { ...this.state, logs: { ...this.state.logs, [cp.origin]: next } };
      await writeDurably(this.stateFile, JSON.stringify(state, null, 2));
      this.state = state;
      this.say('info', 'cosigned', { origin: cp.origin, old, size: cp.size });
      return signatureLine(cosig);
    });
  }

  private serialised<T>(origin: string, work: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(origin) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(work);
    this.locks.set(origin, run);
    void run.finally(() => {
      if (this.locks.get(origin) === run) this.locks.delete(origin);
    }).catch(() => undefined);
    return run;
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(body);
}
