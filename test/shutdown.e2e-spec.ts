import { Agent, ClientRequest, IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { AddressInfo, connect, Socket } from 'node:net';
import { HttpDrain } from '../src/common/shutdown';
import { createClient, createOrg } from './support/factories';
import { ADMIN, API, createTestApp, signIn, TestApp } from './support/test-app';

/*
 * Stopping, over real HTTP on a listening socket: what `main.ts` does on the first SIGTERM. The
 * signal handling and exit status of the whole process are checked by the fault drills (drill f:
 * `npm start`, SIGTERM to the npm process alone).
 */

interface Answer {
  status?: number;
  headers: IncomingHttpHeaders;
  body: string;
  error?: string;
  reusedSocket?: boolean;
}

function send(
  port: number,
  method: string,
  path: string,
  /** `hold` sends the body itself (headers announce all of `body`). */
  opts: { body?: string; contentType?: string; agent?: Agent; hold?: (req: ClientRequest) => void } = {},
): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = {};
    if (opts.body !== undefined) {
      headers['content-type'] = opts.contentType ?? 'application/x-www-form-urlencoded';
      headers['content-length'] = Buffer.byteLength(opts.body);
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: opts.agent ?? false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, reusedSocket: req.reusedSocket }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ headers: {}, body: '', error: e.code ?? e.message }));
    if (opts.hold) opts.hold(req);
    else req.end(opts.body);
  });
}

/** A raw connection, once established. */
function rawConnection(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sends on a raw connection until it closes it, and any error on the way. */
function readAll(socket: Socket): Promise<{ text: string; error?: string; at: number }> {
  return new Promise((resolve) => {
    let text = '';
    let error: string | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (text += c));
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, error, at: performance.now() }));
  });
}

async function until(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t = performance.now();
  while (!cond()) {
    if (performance.now() - t > timeoutMs) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('stopping: the drain', () => {
  let t: TestApp;
  let port: number;
  const drain = new HttpDrain();
  let form: string;

  beforeAll(async () => {
    t = await createTestApp({}, { drain });
    drain.track(t.app.getHttpServer());
    // createTestApp already listens on 127.0.0.1.
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    const admin = (await signIn(t, ADMIN.username, ADMIN.password)).token;
    const org = await createOrg(t, admin, { kind: 'municipality', name: '堺市', localGovernmentCode: '271403' });
    const c = await createClient(t, admin, org.id);
    form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }).toString();
  });
  afterAll(() => t.close());

  it('answers every request in flight, refuses new ones with 503 and Connection: close, and settles after the last answer', async () => {
    // A kept-alive connection, idle when the stop begins.
    let received = 0;
    t.app.getHttpServer().on('request', () => received++);
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await send(port, 'GET', '/health/live', { agent: keepAlive });
    expect(first.status).toBe(200);

    // In flight when the stop begins: an upload whose body is still arriving, and token requests
    // (each an argon2 verification, queued on the thread pool).
    let finishUpload!: () => void;
    const upload = send(port, 'POST', `${API}/auth/token`, {
      body: form,
      hold: (req) => {
        req.write(form.slice(0, 20));
        finishUpload = () => req.end(form.slice(20));
      },
    });
    const tokens = Array.from({ length: 8 }, () => send(port, 'POST', `${API}/auth/token`, { body: form }));
    await until(() => received === 10);
    expect(drain.inFlight).toBeGreaterThanOrEqual(1);

    let settled = false;
    const drained = drain.stop().then(() => {
      settled = true;
      return drain.inFlight;
    });

    // New requests while stopping: on a new connection, on the kept-alive one, and with a body.
    const fresh = await send(port, 'GET', '/health/ready');
    const reused = await send(port, 'GET', '/health/live', { agent: keepAlive });
    const posted = await send(port, 'POST', `${API}/auth/token`, { body: form });
    for (const a of [fresh, reused, posted]) {
      expect(a.error).toBeUndefined();
      expect(a.status).toBe(503);
      expect(a.headers.connection).toBe('close');
      expect(a.headers['retry-after']).toBe('5');
      expect(a.headers['content-type']).toBe('application/problem+json');
      const problem = JSON.parse(a.body) as { type: string; status: number; requestId: string };
      expect(problem.type).toMatch(/\/problems\/shutting-down$/);
      expect(problem.status).toBe(503);
      expect(problem.requestId).toBe(a.headers['x-request-id']);
    }
    expect(reused.reusedSocket).toBe(true);
    expect(drain.refused).toBe(3);

    // The upload is still in flight, so the drain has not settled.
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toBe(false);
    expect(drain.inFlight).toBeGreaterThanOrEqual(1);
    finishUpload();

    const answers = await Promise.all([upload, ...tokens]);
    const inFlightWhenSettled = await drained;
    for (const a of answers) {
      expect(a.error).toBeUndefined();
      expect(a.status).toBe(200);
      expect(JSON.parse(a.body)).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    }
    // Answered after the stop began: the connection closes with the answer.
    expect((await upload).headers.connection).toBe('close');
    expect(inFlightWhenSettled).toBe(0);
    keepAlive.destroy();
  });

  it('keeps refusing until the application closes; a second stop() answers the same promise', async () => {
    const again = drain.stop();
    expect(again).toBe(drain.stop());
    await again;
    const late = await send(port, 'GET', `${API}/organizations`);
    expect(late.status).toBe(503);
  });

  it('closes the listener only after the connections already made are taken and answered, and ends idle ones after the linger', async () => {
    const request = `GET ${API}/organizations HTTP/1.1\r\nHost: x\r\n\r\n`;
    // Accepted connections: one that stays idle, three whose requests arrive as the close begins.
    const accepted = await Promise.all(Array.from({ length: 4 }, () => rawConnection(port)));
    await until(() => drain.connections === 4);
    const [idle, ...unread] = accepted;
    const idleEnd = readAll(idle!);
    const answers = unread.map(readAll);
    for (const socket of unread) socket.write(request);
    // And connections made in the same tick as the close begins: not even accepted yet.
    for (let i = 0; i < 4; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.write(request);
      answers.push(readAll(socket));
    }
    const began = performance.now();
    await drain.closeListener(400);
    const closedAfter = performance.now() - began;

    for (const a of await Promise.all(answers)) {
      expect(a.error).toBeUndefined();
      expect(a.text).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
      expect(a.text).toMatch(/\r\nConnection: close\r\n/i);
      expect(a.text).toContain('/problems/shutting-down');
    }
    // The idle connection sent nothing: closed by the server once the linger was over.
    const ended = await idleEnd;
    expect(ended.text).toBe('');
    expect(ended.at - began).toBeGreaterThanOrEqual(390);
    expect(closedAfter).toBeGreaterThanOrEqual(390);
    expect(drain.connections).toBe(0);

    const refused = await send(port, 'GET', '/health/live');
    expect(refused.error).toBe('ECONNREFUSED');
  });
});
