import { ConfigError, loadConfig } from './configuration';

describe('loadConfig', () => {
  it('gives defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.trustProxy).toBe(false);
    expect(c.policy.sensitiveCategories).toEqual(['offense']);
  });

  it('names the variable in one line per bad value, without echoing secrets', () => {
    try {
      loadConfig({ PORT: 'abc', BOOTSTRAP_ADMIN_USERNAME: 'admin', BOOTSTRAP_ADMIN_PASSWORD: 'short', TRUST_PROXY: 'yes please' });
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const lines = (err as ConfigError).lines;
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/^Invalid environment variable PORT="abc": /);
      expect(lines.join('\n')).toContain('BOOTSTRAP_ADMIN_PASSWORD=<hidden>');
      expect(lines.join('\n')).not.toContain('short');
      expect(lines.join('\n')).toContain('TRUST_PROXY');
    }
  });

  it('reads trust proxy as boolean, hop count or list', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
  });

  it('requires the bootstrap username and password together', () => {
    expect(() => loadConfig({ BOOTSTRAP_ADMIN_USERNAME: 'admin' })).toThrow(ConfigError);
  });

  it('takes a metrics token and an absolute problem base, refusing weak or relative ones without echoing the token', () => {
    const ok = loadConfig({ METRICS_TOKEN: 'a-long-enough-token-1234', PROBLEM_BASE_URL: 'https://exchange.example.lg.jp/problems/' });
    expect(ok.metricsToken).toBe('a-long-enough-token-1234');
    expect(ok.problemBaseUrl).toBe('https://exchange.example.lg.jp/problems/');
    try {
      loadConfig({ METRICS_TOKEN: 'short-secret', PROBLEM_BASE_URL: '/problems/' });
      throw new Error('accepted');
    } catch (err) {
      const lines = (err as ConfigError).lines;
      expect(lines).toHaveLength(2);
      expect(lines.join('\n')).not.toContain('short-secret');
      expect(lines.join('\n')).toMatch(/METRICS_TOKEN[\s\S]*PROBLEM_BASE_URL/);
    }
  });

  it('reads the webhook settings: Standard Webhooks retry schedule by default, hosts normalised, bad values refused', () => {
    const d = loadConfig({}).webhooks;
    expect(d).toEqual({ deliveryEnabled: true, allowedHosts: [], retryScheduleMs: [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000], dispatchIntervalMs: 500, timeoutMs: 10_000 });
    const c = loadConfig({ WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1, Hooks.Example.test ,[::1]', WEBHOOK_RETRY_SCHEDULE_MS: '100,200', WEBHOOK_DELIVERY_ENABLED: 'false' }).webhooks;
    expect(c.allowedHosts).toEqual(['127.0.0.1', 'hooks.example.test', '::1']);
    expect(c.retryScheduleMs).toEqual([100, 200]);
    expect(c.deliveryEnabled).toBe(false);
    for (const env of [{ WEBHOOK_RETRY_SCHEDULE_MS: '5s,5m' }, { WEBHOOK_RETRY_SCHEDULE_MS: '' + '1,'.repeat(20) + '1' }, { WEBHOOK_TIMEOUT_MS: '30000' }, { WEBHOOK_ALLOWED_HOSTS: 'a b' }])
      expect(() => loadConfig(env)).toThrow(ConfigError);
  });
});
