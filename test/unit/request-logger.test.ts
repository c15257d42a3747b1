// The per-request logger (lib/log.ts LazyChildLogger, installed by createServiceApp): lines keep the request id
// and the redaction rules, and a request that writes nothing at an enabled level never builds a pino child.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LazyChildLogger, loggerOptions } from '../../lib/log.ts';
import { createServiceApp } from '../../lib/service-app.ts';

function captured(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { logger: pino(loggerOptions('test', level), stream), lines };
}

describe('request logger', () => {
  it('writes request lines with the request id, redacted, from route handlers and the error handler', async () => {
    const { logger, lines } = captured('info');
    const app = createServiceApp({ service: 'test', logger, ready: () => true });
    app.get('/hello', async (req) => {
      req.log.info({ token: 'elk_secret_value' }, 'said hello');
      return { ok: true };
    });
    app.get('/boom', async () => {
      throw new Error('exploded');
    });
    const ok = await app.inject({ method: 'GET', url: '/hello', headers: { 'x-request-id': 'req-abc' } });
    expect(ok.statusCode).toBe(200);
    const hello = lines.find((l) => l.msg === 'said hello');
    expect(hello).toMatchObject({ reqId: 'req-abc', service: 'test', token: '[redacted]' });
    // Fastify's own per-request lines still come through the lazy logger.
    expect(lines.some((l) => l.msg === 'request completed' && l.reqId === 'req-abc')).toBe(true);
    const bad = await app.inject({ method: 'GET', url: '/boom', headers: { 'x-request-id': 'req-boom' } });
    expect(bad.statusCode).toBe(500);
    expect(lines.find((l) => l.msg === 'request failed')).toMatchObject({ reqId: 'req-boom', level: 50 });
    await app.close();
  });

  it('scrubs a token out of a logged path (npm token revoke and npm logout put one in the URL)', async () => {
    const { logger, lines } = captured('info');
    const app = createServiceApp({ service: 'test', logger, ready: () => true });
    const token = `elk_${'Ab1'.repeat(12)}`;
    await app.inject({ method: 'DELETE', url: `/npm/-/npm/v1/tokens/token/${token}` });
    const logged = JSON.stringify(lines);
    expect(lines.some((l) => (l.req as { path?: string } | undefined)?.path === '/npm/-/npm/v1/tokens/token/elk_[redacted]')).toBe(true);
    expect(logged).not.toContain(token);
    await app.close();
  });

  it('builds no pino child for a request that logs nothing at an enabled level', async () => {
    const { logger, lines } = captured('warn');
    const child = vi.spyOn(logger, 'child');
    const app = createServiceApp({ service: 'test', logger, ready: () => true });
    app.get('/quiet', async (req) => {
      req.log.info('below the level');
      return { ok: true };
    });
    app.get('/loud', async (req) => {
      req.log.warn({ password: 'hunter2' }, 'something odd');
      return { ok: true };
    });
    await app.ready();
    child.mockClear(); // Fastify's own logger for the app is a child too, made once at start
    expect((await app.inject({ method: 'GET', url: '/quiet' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    const loud = await app.inject({ method: 'GET', url: '/loud' });
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines).toEqual([expect.objectContaining({ msg: 'something odd', reqId: loud.headers['x-request-id'], password: '[redacted]' })]);
    await app.close();
  });

  it('follows the parent level until its own level is set', () => {
    const { logger, lines } = captured('error');
    const log = new LazyChildLogger(logger, { reqId: 'r1' }, {});
    expect(log.level).toBe('error');
    expect(log.isLevelEnabled('warn')).toBe(false);
    log.level = 'debug';
    log.debug('now visible');
    expect(lines).toEqual([expect.objectContaining({ msg: 'now visible', reqId: 'r1' })]);
    expect(logger.level).toBe('error');
  });
});
