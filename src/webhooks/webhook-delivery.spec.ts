import { WebhookDeliveryService } from './webhook-delivery.service';

/** pg-boss as far as the delivery workers use it: the handlers registered, and the workers notified. */
class MockBoss {
  static last?: MockBoss;
  handlers: { id: string; options: { batchSize: number }; handler: (jobs: { data: { deliveryId: string } }[]) => Promise<void> }[] = [];
  notified: string[] = [];
  constructor() {
    MockBoss.last = this;
  }
  on(): void {}
  async start(): Promise<void> {}
  async createQueue(): Promise<void> {}
  async work(_name: string, options: { batchSize: number }, handler: MockBoss['handlers'][number]['handler']): Promise<string> {
    const id = `worker-${this.handlers.length + 1}`;
    this.handlers.push({ id, options, handler });
    return id;
  }
  notifyWorker(id: string): void {
    this.notified.push(id);
  }
  async stop(): Promise<void> {}
}

// Hoisted above the class: the module is a function that builds one when the service starts it.
jest.mock('pg-boss', () => function PgBoss() {
  return new MockBoss();
});

describe('webhook delivery workers', () => {
  let service: WebhookDeliveryService;
  let attempted: string[];

  beforeEach(async () => {
    const config = { databaseUrl: 'postgres://unused', webhooks: { deliveryEnabled: true, dispatchIntervalMs: 60_000 } };
    service = new WebhookDeliveryService(config as never, {} as never, {} as never, {} as never, {} as never, {} as never, {} as never, {} as never);
    jest.spyOn(service, 'nudge').mockImplementation(() => undefined);
    attempted = [];
    jest.spyOn(service, 'attempt').mockImplementation(async (id: string) => void attempted.push(id));
    await service.onApplicationBootstrap();
  });

  afterEach(() => service.onApplicationShutdown());

  const jobs = (n: number) => Array.from({ length: n }, (_, i) => ({ data: { deliveryId: `d${i}` } }));

  it('go straight on after a full batch: every worker is notified, so none waits out the polling interval while jobs wait', async () => {
    const boss = MockBoss.last!;
    expect(boss.handlers).toHaveLength(2);
    const { handler, options } = boss.handlers[0]!;
    await handler(jobs(options.batchSize));
    expect(attempted).toHaveLength(options.batchSize);
    expect(boss.notified.sort()).toEqual(['worker-1', 'worker-2']);
  });

  it('wait for the interval (or the dispatcher) after a batch that was not full: the queue is empty', async () => {
    const boss = MockBoss.last!;
    const { handler, options } = boss.handlers[1]!;
    await handler(jobs(options.batchSize - 1));
    expect(attempted).toHaveLength(options.batchSize - 1);
    expect(boss.notified).toEqual([]);
  });
});
