import { StopOnSignals } from './shutdown';

function harness(opts: { forceAfterMs?: number } = {}) {
  let clock = 0;
  const lines: { level: string; msg: string }[] = [];
  const exits: number[] = [];
  const forced: number[] = [];
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push({ level, msg: String(args[args.length - 1]) });
  const log = { info: record('info'), warn: record('warn'), error: record('error') } as never;
  let inFlight = 3;
  const s = new StopOnSignals({
    log,
    inFlight: () => inFlight,
    exit: (code) => exits.push(code),
    onForce: () => forced.push(clock),
    forceAfterMs: opts.forceAfterMs,
    now: () => clock,
  });
  return {
    s,
    lines,
    exits,
    forced,
    tick: (ms: number) => (clock += ms),
    setInFlight: (n: number) => (inFlight = n),
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('StopOnSignals', () => {
  it('stops once on the first signal, logs and ignores repeated ones, and exits 0 when stopped', async () => {
    const h = harness();
    let finish!: () => void;
    let stops = 0;
    h.s.ready(() => {
      stops++;
      return new Promise<void>((r) => (finish = r));
    });
    h.s.handle('SIGTERM');
    h.tick(30);
    h.s.handle('SIGTERM');
    h.tick(500);
    h.s.handle('SIGINT');
    await flush();
    expect(stops).toBe(1);
    expect(h.exits).toEqual([]);
    expect(h.lines.map((l) => l.level)).toEqual(['info', 'warn', 'warn']);
    expect(h.lines[0]!.msg).toBe('stopping on SIGTERM: finishing 3 request(s) in flight, refusing new ones with 503');
    expect(h.lines[1]!.msg).toMatch(/^already stopping \(3 request\(s\) in flight\): SIGTERM ignored; a signal 10 s or more after the first forces the exit$/);
    expect(h.lines[2]!.msg).toMatch(/SIGINT ignored/);
    finish();
    await flush();
    expect(h.lines.at(-1)).toEqual({ level: 'info', msg: 'stopped on SIGTERM' });
    expect(h.exits).toEqual([0]);
    expect(h.forced).toEqual([]);
  });

  it('forces the exit (status 1) on a signal that comes the bound or more after the first', async () => {
    const h = harness({ forceAfterMs: 10_000 });
    h.s.ready(() => new Promise<void>(() => undefined));
    h.s.handle('SIGTERM');
    h.tick(9_999);
    h.s.handle('SIGTERM');
    expect(h.exits).toEqual([]);
    h.tick(1);
    h.setInFlight(1);
    h.s.handle('SIGTERM');
    await flush();
    expect(h.exits).toEqual([1]);
    expect(h.forced).toEqual([10_000]);
    expect(h.lines.at(-1)).toEqual({ level: 'warn', msg: 'forced exit on a repeated SIGTERM, 10.0 s after the first: 1 request(s) cut off' });
  });

  it('acts on a signal that came during start-up once the service is ready', async () => {
    const h = harness();
    h.s.handle('SIGINT');
    expect(h.lines).toEqual([{ level: 'info', msg: 'SIGINT during start-up: stopping once started' }]);
    let stopped = false;
    h.s.ready(async () => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(true);
    expect(h.lines.at(-1)!.msg).toBe('stopped on SIGINT');
    expect(h.exits).toEqual([0]);
  });

  it('exits 1 and says so when stopping fails', async () => {
    const h = harness();
    h.s.ready(async () => {
      throw Object.assign(new Error('boom'), { code: 'XX000' });
    });
    h.s.handle('SIGTERM');
    await flush();
    expect(h.exits).toEqual([1]);
    expect(h.lines.at(-1)).toEqual({ level: 'error', msg: 'stop on SIGTERM failed' });
  });

  it('keeps its listeners: install() adds one per signal and never removes them', () => {
    const added: string[] = [];
    const h = harness();
    h.s.install({ on: ((sig: string) => added.push(sig)) as never });
    expect(added).toEqual(['SIGTERM', 'SIGINT']);
  });
});
