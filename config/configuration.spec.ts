import { generateKeyPairSync } from 'node:crypto';
import { ed25519Raw, SIG_COSIGNATURE_V1, SIG_ED25519, verifierKey } from '../src/audit/note';
import { checkPolicySettings, ConfigError, loadConfig } from './configuration';

describe('loadConfig', () => {
  it('gives defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.trustProxy).toBe(false);
    expect(c.policy.sensitiveCategories).toEqual(['offense']);
    expect(c.policy.statisticsMinCell).toBe(10);
  });

  it('checks the policy\'s statistics minimum cell', () => {
    expect(checkPolicySettings({ statisticsMinCell: 10 })).toEqual([]);
    expect(checkPolicySettings({})).toEqual([]);
    for (const bad of [0, -1, 2.5, '10', null, 1001]) expect(checkPolicySettings({ statisticsMinCell: bad })).toEqual([expect.stringContaining('statisticsMinCell')]);
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

  it('reads the record keyring and blind-index key, refusing bad ones without echoing key material', () => {
    const k1 = Buffer.alloc(32, 1).toString('base64');
    const k2 = Buffer.alloc(32, 2).toString('base64');
    const blind = Buffer.alloc(32, 3).toString('base64');
    const c = loadConfig({ DATA_KEYRING: `old:${k1},new:${k2}`, DATA_KEYRING_ACTIVE: 'new', BLIND_INDEX_KEY: blind });
    expect(c.dataKeyring?.active).toBe('new');
    expect([...c.dataKeyring!.keys.keys()]).toEqual(['old', 'new']);
    expect(c.blindIndexKey?.equals(Buffer.alloc(32, 3))).toBe(true);
    expect(loadConfig({ DATA_KEYRING: `only:${k1}`, BLIND_INDEX_KEY: blind }).dataKeyring?.active).toBe('only');
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).lines;
      }
    };
    expect(problems({ DATA_KEYRING: `a:${k1},b:${k2}`, BLIND_INDEX_KEY: blind }).join('\n')).toMatch(/DATA_KEYRING_ACTIVE must name/);
    expect(problems({ DATA_KEYRING: `a:${k1}`, DATA_KEYRING_ACTIVE: 'b', BLIND_INDEX_KEY: blind }).join('\n')).toMatch(/not a key id/);
    expect(problems({ DATA_KEYRING: `a:${k1}` }).join('\n')).toMatch(/BLIND_INDEX_KEY must be set/);
    expect(problems({ DATA_KEYRING_ACTIVE: 'a' }).join('\n')).toMatch(/needs DATA_KEYRING/);
    const bad = problems({ DATA_KEYRING: `a:${k1},b:c2hvcnQ=`, BLIND_INDEX_KEY: blind });
    expect(bad.join('\n')).toMatch(/DATA_KEYRING=<hidden>: entry 2 \(b\)/);
    expect(bad.join('\n')).not.toContain(k1);
    expect(problems({ DATA_KEYRING: `a:${k1},a:${k2}`, BLIND_INDEX_KEY: blind }).join('\n')).toMatch(/listed twice/);
  });

  it('reads LOG_FORMAT as json or pretty and names a bad value in one clear line', () => {
    expect(loadConfig({}).logFormat).toBeUndefined();
    expect(loadConfig({ LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    try {
      loadConfig({ LOG_FORMAT: 'xml' });
      throw new Error('should have failed');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).lines).toEqual([
        'Invalid environment variable LOG_FORMAT="xml": must be json or pretty (unset: pretty on a terminal, JSON otherwise)',
      ]);
    }
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

  it('derives the audit log origin from the issuer unless given', () => {
    expect(loadConfig({}).auditLogOrigin).toBe('oie/exchange/audit-log');
    expect(loadConfig({ JWT_ISSUER: 'https://exchange.example.jp/' }).auditLogOrigin).toBe('exchange.example.jp/audit-log');
    expect(loadConfig({ AUDIT_LOG_ORIGIN: 'exchange.example.jp/log' }).auditLogOrigin).toBe('exchange.example.jp/log');
    expect(() => loadConfig({ AUDIT_LOG_ORIGIN: 'has space' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUDIT_LOG_ORIGIN: 'a+b' })).toThrow(ConfigError);
  });

  it('reads witnesses as "<verifier key> <URL>" entries and checks them', () => {
    const pub = ed25519Raw(generateKeyPairSync('ed25519').publicKey);
    const w1 = verifierKey('audit-office.example/w1', SIG_COSIGNATURE_V1, pub);
    const w2 = verifierKey('city.example/w', SIG_COSIGNATURE_V1, pub);
    const c = loadConfig({ AUDIT_WITNESSES: `${w1} https://w1.example/;\n ${w2} http://127.0.0.1:9000` });
    expect(c.auditWitnesses).toEqual([
      { name: 'audit-office.example/w1', url: 'https://w1.example', verifierKey: w1 },
      { name: 'city.example/w', url: 'http://127.0.0.1:9000', verifierKey: w2 },
    ]);
    expect(c.auditWitnessQuorum).toBe(2);
    expect(loadConfig({ AUDIT_WITNESSES: `${w1} https://w1.example`, AUDIT_WITNESS_QUORUM: '0' }).auditWitnessQuorum).toBe(0);
    expect(loadConfig({}).auditWitnesses).toEqual([]);
    const bad = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).lines.join('\n');
      }
      throw new Error('should have failed');
    };
    expect(bad({ AUDIT_WITNESSES: w1 })).toContain('each entry is');
    expect(bad({ AUDIT_WITNESSES: `${verifierKey('w', SIG_ED25519, pub)} https://w.example` })).toContain('type 0x04');
    expect(bad({ AUDIT_WITNESSES: `${w1} ftp://w.example` })).toContain('http(s)');
    expect(bad({ AUDIT_WITNESSES: `${w1} https://a.example;${w1} https://b.example` })).toContain('listed twice');
    // the key's last character changed (to one it is not), so its key id no longer matches
    const altered = w1.slice(0, -1) + (w1.endsWith('A') ? 'B' : 'A');
    expect(bad({ AUDIT_WITNESSES: `${altered} https://a.example` })).toContain('AUDIT_WITNESSES');
    expect(bad({ AUDIT_WITNESSES: `${w1} https://a.example`, AUDIT_WITNESS_QUORUM: '2' })).toContain('AUDIT_WITNESS_QUORUM');
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
