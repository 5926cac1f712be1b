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
});
