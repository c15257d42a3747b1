import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDurationSeconds } from '../../lib/config.ts';

describe('loadConfig', () => {
  it('gives every seed README variable its default', () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(3000);
    expect(c.REGISTRY_PORT).toBe(4873);
    expect(c.MARKETPLACE_PORT).toBe(3001);
    expect(c.DASHBOARD_PORT).toBe(8080);
    expect(c.ORCHESTRATOR_PORT).toBe(3002);
    expect(c.TOKEN_EXPIRY).toBe(7 * 86400);
    expect(c.DATABASE_PATH).toMatch(/data\/marketplace\.db$/);
    expect(c.REGISTRY_DATABASE_PATH).toMatch(/data\/registry\.db$/);
    expect(c.urls.registry).toBe('http://127.0.0.1:4873');
    expect(c.JWT_SECRET).toBeUndefined();
  });

  it('derives peer URLs from the ports so two suites can run side by side', () => {
    const c = loadConfig({ PORT: '4000', MARKETPLACE_PORT: '4001' });
    expect(c.urls.api).toBe('http://127.0.0.1:4000');
    expect(c.urls.marketplace).toBe('http://127.0.0.1:4001');
    expect(loadConfig({ ELIDE_API_URL: 'http://api.internal:9000/' }).urls.api).toBe('http://api.internal:9000');
  });

  it('names every wrong variable', () => {
    expect(() => loadConfig({ PORT: 'abc', TOKEN_EXPIRY: 'forever', ELIDE_API_URL: 'not a url' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'abc', TOKEN_EXPIRY: 'forever', JWT_SECRET: 'short' });
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('PORT');
      expect(msg).toContain('TOKEN_EXPIRY');
      expect(msg).toContain('JWT_SECRET');
    }
  });

  it('parses durations', () => {
    expect(parseDurationSeconds('7d')).toBe(604800);
    expect(parseDurationSeconds('12h')).toBe(43200);
    expect(parseDurationSeconds('90')).toBe(90);
  });
});
