import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../../config/configuration';
import type { AppConfig, WitnessConfig } from '../../config/configuration';
import { AuditLogService, ExternalCheckpoint, WitnessEvidence, WitnessSource } from './audit-log.service';
import { formatNote, NoteVerifier, openNote, parseCheckpointText, parseNote, parseVerifierKey, signatureLine } from './note';

/** How long one call to a witness may take. */
const WITNESS_TIMEOUT_MS = 5000;
/** Retries back off from 1 s to this. */
const MAX_BACKOFF_MS = 60_000;
/** How long a verification waits for the witnesses to cosign the newest checkpoint. */
const VERIFY_WAIT_MS = 5000;

export interface WitnessLag {
  witness: string;
  /** The largest tree size this witness cosigned (as far as this instance knows). */
  cosignedSize: number;
  /** The newest checkpoint's tree size. */
  logSize: number;
  /** Leaves not yet cosigned by this witness. */
  lagLeaves: number;
  /** Seconds since this witness fell behind (0 when it has cosigned the newest checkpoint). */
  lagSeconds: number;
  failures: number;
  lastError: string | null;
}

interface State {
  cfg: WitnessConfig;
  verifier: NoteVerifier;
  /** The size the witness last cosigned, when known (from a 200, a 409 or the stored cosignatures). */
  knownSize: number | null;
  cosignedSize: number;
  failures: number;
  nextAttempt: number;
  behindSince: number | null;
  warned: boolean;
  lastError: string | null;
  inFlight?: Promise<void>;
}

class WitnessRefusal extends Error {}

/**
 * Submits every new checkpoint to each configured witness with the c2sp.org/tlog-witness
 * add-checkpoint call, off the seal path: a witness that is down delays nothing, is retried with
 * backoff, and its lag is logged (warn once on falling behind, info on recovery) and exposed by
 * `snapshot()` for a metrics gauge. Received cosignatures are verified and stored.
 */
@Injectable()
export class WitnessService implements WitnessSource, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WitnessService.name);
  private readonly states: State[];
  private timer?: NodeJS.Timeout;
  private logSize = 0;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly log: AuditLogService,
  ) {
    this.states = config.auditWitnesses.map((cfg) => ({
      cfg,
      verifier: parseVerifierKey(cfg.verifierKey),
      knownSize: null,
      cosignedSize: 0,
      failures: 0,
      nextAttempt: 0,
      behindSince: null,
      warned: false,
      lastError: null,
    }));
    log.attachWitnesses(this);
  }

  onApplicationBootstrap(): void {
    if (this.states.length === 0) return;
    this.log.onSealed(() => this.kick());
    // Also picks up checkpoints sealed by other instances, and retries.
    this.timer = setInterval(() => this.kick(), 1000);
    this.timer.unref();
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all(this.states.map((s) => s.inFlight?.catch(() => undefined) ?? Promise.resolve()));
  }

  /** Each witness's lag, for a gauge (e.g. prom-client) and for the operator. */
  snapshot(): WitnessLag[] {
    const now = Date.now();
    return this.states.map((s) => ({
      witness: s.cfg.name,
      cosignedSize: s.cosignedSize,
      logSize: this.logSize,
      lagLeaves: Math.max(0, this.logSize - s.cosignedSize),
      lagSeconds: s.behindSince === null ? 0 : Math.round((now - s.behindSince) / 1000),
      failures: s.failures,
      lastError: s.lastError,
    }));
  }

  /** Submits the newest checkpoint to every witness that is due (never waits). */
  kick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const s of this.states) if (!s.inFlight && now >= s.nextAttempt) void this.run(s, false);
  }

  private run(s: State, force: boolean): Promise<void> {
    s.inFlight ??= this.submit(s, force).finally(() => (s.inFlight = undefined));
    return s.inFlight;
  }

  private async submit(s: State, force: boolean): Promise<void> {
    try {
      const cp = await this.log.latestCheckpoint();
      if (!cp?.note) return;
      this.logSize = Math.max(this.logSize, cp.treeSize);
      if (s.knownSize === null) s.knownSize = await this.storedSize(s.cfg.name);
      if (s.knownSize === cp.treeSize && s.cosignedSize === cp.treeSize && !force) return this.caughtUp(s);
      if (s.cosignedSize < cp.treeSize && s.behindSince === null) s.behindSince = new Date(cp.time).getTime();
      const text = parseNote(cp.note).text;
      // One retry after a 409 that tells us the witness's size.
      for (let attempt = 0; attempt < 2; attempt++) {
        const old = s.knownSize ?? 0;
        if (old > cp.treeSize) throw new WitnessRefusal(`the witness has cosigned tree size ${old}, larger than the log (${cp.treeSize})`);
        const proof = old > 0 && old < cp.treeSize ? await this.log.subtrees.consistencyProof(old, cp.treeSize) : [];
        // The log's own signature only; cosignatures of other witnesses are no business of this one.
        const ownNote = formatNote({ text, signatures: parseNote(cp.note).signatures.filter((sig) => sig.name === this.log.origin) });
        const body = `old ${old}\n${proof.map((h) => h.toString('base64') + '\n').join('')}\n${ownNote}`;
        const res = await fetch(`${s.cfg.url}/add-checkpoint`, { method: 'POST', body, headers: { 'content-type': 'text/plain' }, signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS) });
        const answer = await res.text();
        if (res.status === 409 && /^\d+\n$/.test(answer) && attempt === 0 && Number(answer) !== old) {
          s.knownSize = Number(answer);
          continue;
        }
        if (res.status !== 200) {
          if (res.status === 422) this.log.subtrees.reset();
          throw new WitnessRefusal(`HTTP ${res.status}`);
        }
        const opened = openNote(`${text}\n${answer}`, [s.verifier]);
        const mine = opened.verified.filter((v) => v.name === s.cfg.name);
        for (const sig of mine) {
          await this.dataSource.query(
            `INSERT INTO audit_cosignatures (tree_size, witness, cosigned_at, signature_line) VALUES ($1, $2, to_timestamp($3), $4) ON CONFLICT DO NOTHING`,
            [cp.treeSize, s.cfg.name, sig.timestamp ?? 0, signatureLine(sig)],
          );
        }
        s.knownSize = cp.treeSize;
        s.cosignedSize = cp.treeSize;
        return this.caughtUp(s);
      }
      throw new WitnessRefusal('the witness disagreed twice about its size');
    } catch (err) {
      s.failures++;
      s.nextAttempt = Date.now() + Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(s.failures - 1, 16));
      s.lastError = err instanceof WitnessRefusal ? err.message : (err as Error).name === 'TimeoutError' ? 'timeout' : `unreachable (${(err as Error).name})`;
      s.behindSince ??= Date.now();
      if (!s.warned) {
        s.warned = true;
        this.logger.warn({ witness: s.cfg.name, cosignedSize: s.cosignedSize, logSize: this.logSize, failure: s.lastError }, 'witness is falling behind; retrying with backoff');
      }
    }
  }

  private caughtUp(s: State): void {
    if (s.warned) this.logger.log({ witness: s.cfg.name, cosignedSize: s.cosignedSize, failures: s.failures }, 'witness caught up');
    s.warned = false;
    s.failures = 0;
    s.nextAttempt = 0;
    s.behindSince = null;
    s.lastError = null;
  }

  private async storedSize(name: string): Promise<number> {
    const [row] = (await this.dataSource.query(`SELECT max(tree_size)::text AS n FROM audit_cosignatures WHERE witness = $1`, [name])) as { n: string | null }[];
    return row?.n ? Number(row.n) : 0;
  }

  /**
   * Before a verification: submit the newest checkpoint to every witness now (waiting a little),
   * then read back what each witness last cosigned for this log.
   */
  async evidence(): Promise<WitnessEvidence> {
    const newest = await this.log.latestCheckpoint();
    await Promise.race([Promise.all(this.states.map((s) => this.run(s, false).catch(() => undefined))), new Promise((r) => setTimeout(r, VERIFY_WAIT_MS).unref())]);
    const checkpoints: ExternalCheckpoint[] = [];
    await Promise.all(
      this.states.map(async (s) => {
        const cp = await this.fetchLatest(s).catch(() => null);
        if (cp) checkpoints.push(cp);
      }),
    );
    return {
      newestSize: newest?.treeSize ?? 0,
      checkpoints,
      configured: this.states.map((s) => ({ name: s.cfg.name, verifier: s.verifier })),
      quorum: this.config.auditWitnessQuorum,
    };
  }

  /** The witness's latest cosigned checkpoint of this log (its non-standard read endpoint), cosignature verified. */
  private async fetchLatest(s: State): Promise<ExternalCheckpoint | null> {
    const res = await fetch(`${s.cfg.url}/checkpoint?origin=${encodeURIComponent(this.log.origin)}`, { signal: AbortSignal.timeout(WITNESS_TIMEOUT_MS) });
    if (res.status !== 200) return null;
    const opened = openNote(await res.text(), [s.verifier]);
    const body = parseCheckpointText(opened.text);
    if (body.origin !== this.log.origin) return null;
    return { source: `witness ${s.cfg.name}`, size: body.size, rootHash: body.rootHash, witness: s.cfg.name };
  }
}
