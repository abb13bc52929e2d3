import { ConfigError, describeConfig, loadConfig } from '../../domain/config';

describe('loadConfig', () => {
  it('fills every variable from defaults that describe the local stack', () => {
    const config = loadConfig({});
    expect(config.API_PORT).toBe(3000);
    expect(config.TEMPORAL_ADDRESS).toBe('127.0.0.1:7233');
    expect(config.DATABASE_URL).toContain('track15_app@');
  });

  it('coerces and keeps what the environment sets, treating blanks as unset', () => {
    const config = loadConfig({ API_PORT: '8080', TEMPORAL_NAMESPACE: '', STRIPE_SECRET_KEY: 'sk_live_abc' });
    expect(config.API_PORT).toBe(8080);
    expect(config.TEMPORAL_NAMESPACE).toBe('default');
    expect(config.STRIPE_SECRET_KEY).toBe('sk_live_abc');
  });

  it.each([
    ['API_PORT', 'eighty'],
    ['DATABASE_URL', 'not a url'],
    ['STRIPE_SECRET_KEY', 'pk_test_123'],
    ['UNSUBSCRIBE_SIGNING_SECRET', 'short'],
    ['LOG_LEVEL', 'loud'],
  ])('stops on a malformed %s with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}:`));
  });

  it('describes every variable with a default and a meaning', () => {
    const described = describeConfig();
    expect(described.map((v) => v.name)).toContain('SENDGRID_BASE_URL');
    for (const variable of described) expect(variable.description.length).toBeGreaterThan(10);
  });
});
