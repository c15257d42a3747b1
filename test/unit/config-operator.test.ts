// What an operator sees for a wrong environment: every bad value refused at start with a sentence that names the
// variable (and its value, unless it is a secret) and says what to write instead; never a silent default.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config.ts';
import { loadSecrets } from '../../lib/secrets.ts';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

describe('loadConfig as an operator meets it', () => {
  it.each([
    // new URL() parses these (scheme "localhost:", "ftp:", "javascript:"), and every peer call would fail later.
    ['ELIDE_API_URL', 'localhost:3000', 'must start with http:// or https://'],
    ['ELIDE_REGISTRY_URL', 'ftp://registry.example.com', 'must start with http:// or https://'],
    ['REGISTRY_PUBLIC_URL', 'javascript:alert(1)', 'must start with http:// or https://'],
    ['UPLINK_URL', 'file:///etc/passwd', 'must start with http:// or https://'],
    ['CDN_URL', 'cdn.example.com', 'must be a full URL'],
    ['ELIDE_MARKETPLACE_URL', 'http://mkt.internal:3001/?debug=1', 'must not carry a ?query'],
    // Number() takes all of these; a port of 16 from "0x10" is not what anyone meant.
    ['PORT', '0x10', 'must be a port number from 1 to 65535'],
    ['REGISTRY_PORT', '1e3', 'must be a port number from 1 to 65535'],
    ['MARKETPLACE_PORT', ' 3001', 'must be a port number from 1 to 65535'],
    ['DASHBOARD_PORT', '70000', 'must be a port number from 1 to 65535'],
    ['SMTP_PORT', 'smtp', 'must be a port number from 1 to 65535'],
    ['HOST', 'not a host', 'must be a host name or an IP address'],
    ['TOKEN_EXPIRY', '0', 'must be longer than 0'],
    // Above 2^31-1 ms Node turns a timer into 1 ms: every call between processes would time out at once.
    ['PEER_TIMEOUT_MS', '9999999999999', 'at most 600000'],
    ['BODY_LIMIT_MB', 'lots', 'a number of megabytes'],
    ['SIM_TIME_SCALE', '-1', 'a number above 0'],
    ['SIM_FAILURE_RATE', '20', 'a fraction from 0 to 1'],
    ['BCRYPT_COST', '31', 'a whole number from 4 to 15'],
  ])('refuses %s=%s, naming it, its value and what to write', (name, value, hint) => {
    const msg = refusal({ [name]: value });
    expect(msg).toContain(`${name}=${JSON.stringify(value)}`);
    expect(msg).toContain(hint);
    expect(msg).toContain('Correct these environment variables');
  });

  it('accepts what operators write for hosts and base URLs', () => {
    for (const HOST of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'registry-1.internal.example.com'])
      expect(loadConfig({ HOST }).HOST).toBe(HOST);
    // A path prefix is kept: peer calls append their paths to it (behind a reverse proxy under /elide).
    const c = loadConfig({
      ELIDE_API_URL: 'https://proxy.example.com/elide/api/',
      UPLINK_URL: 'https://nexus.example.com/repository/npm/',
    });
    expect(c.urls.api).toBe('https://proxy.example.com/elide/api');
    expect(c.UPLINK_URL).toBe('https://nexus.example.com/repository/npm/');
  });

  it('refuses two processes on one port, naming both variables, but lets port 0 repeat', () => {
    const msg = refusal({ PORT: '4873' });
    expect(msg).toContain('PORT and REGISTRY_PORT share port 4873: give each process its own port');
    const ephemeral = loadConfig({ PORT: '0', REGISTRY_PORT: '0', MARKETPLACE_PORT: '0', ORCHESTRATOR_PORT: '0', DASHBOARD_PORT: '0' });
    expect(ephemeral.PORT).toBe(0);
  });

  it("refuses a port the Fetch standard blocks (browsers and Node's fetch never connect to 6000), but not for SMTP", () => {
    expect(refusal({ DASHBOARD_PORT: '6000' })).toContain(
      'DASHBOARD_PORT="6000": is a port browsers and fetch() refuse to connect to (the Fetch standard blocks it): choose another',
    );
    expect(refusal({ PORT: '6667' })).toContain('PORT="6667"');
    expect(loadConfig({ PORT: '6005', SMTP_PORT: '587' })).toMatchObject({ PORT: 6005, SMTP_PORT: 587 });
  });

  it('never echoes the value of a secret variable, nor a password inside a URL', () => {
    const msg = refusal({
      JWT_SECRET: 'tooshort-123',
      ADMIN_PASSWORD: 'pw-1',
      INTERNAL_TOKEN: 'tok-42',
      UPLINK_URL: 'https://ci:hunter2-secret@nexus.example.com/npm/',
    });
    for (const name of ['JWT_SECRET', 'ADMIN_PASSWORD', 'INTERNAL_TOKEN', 'UPLINK_URL']) expect(msg).toContain(`${name} (value hidden)`);
    expect(msg).toContain('UPLINK_URL (value hidden): must not carry a user name or password');
    for (const value of ['tooshort-123', 'pw-1', 'tok-42', 'hunter2-secret']) expect(msg).not.toContain(value);
  });
});

describe('loadSecrets on a data folder that cannot be used', () => {
  it('throws a ConfigError naming DATA_DIR and what to do, not a raw ENOTDIR', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elide-cfg-')), 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const config = loadConfig({ DATA_DIR: path.join(file, 'data') });
    expect(() => loadSecrets(config)).toThrow(ConfigError);
    expect(() => loadSecrets(config)).toThrow(
      `DATA_DIR=${JSON.stringify(path.join(file, 'data'))} cannot be used: a part of the path is a file, not a folder`,
    );
    expect(() => loadSecrets(config)).toThrow('Set DATA_DIR to a folder this user can create and write');
  });
});
