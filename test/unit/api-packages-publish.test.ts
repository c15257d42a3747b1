// POST /api/packages refusals that never reach the registry: no credentials, no tarball or two, a body that
// disagrees with the tarball's package.json, a tarball URL at a private address (default policy), bad archives.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPackageJson } from '../../api/packages-publish.ts';
import { createManualClock } from '../../lib/clock.ts';
import { makeTgz } from '../helpers/npm-fixtures.ts';
import { addUser, buildTestApi, type TestUser } from './api-events-fixtures.ts';

const tgz = (pj: Record<string, unknown>) => makeTgz([{ path: 'package/package.json', content: JSON.stringify(pj) }]).toString('base64');

describe('POST /api/packages (refused before the registry)', () => {
  const clock = createManualClock();
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let user: TestUser;
  beforeEach(async () => {
    t = await buildTestApi(clock);
    user = addUser(t.db, clock, 'publisher-x', 'team', 'publisher');
  });
  afterEach(async () => t.app.close());

  const post = (payload: Record<string, unknown>, headers: Record<string, string> = user.auth) =>
    t.app.inject({ method: 'POST', url: '/api/packages', headers, payload });

  it('needs credentials', async () => {
    expect((await post({ name: 'a', version: '1.0.0', tarballBase64: tgz({ name: 'a', version: '1.0.0' }) }, {})).statusCode).toBe(401);
  });

  it('needs the publisher role before any tarball is read or fetched', async () => {
    const plain = addUser(t.db, clock, 'plain-user');
    for (const body of [
      { name: 'a', version: '1.0.0', tarballBase64: tgz({ name: 'a', version: '1.0.0' }) },
      { name: 'a', version: '1.0.0', tarball: 'https://x.example/a.tgz' },
      { name: 'a', version: '1.0.0' },
    ]) {
      const res = await post(body, plain.auth);
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: 'this action needs the publisher role', code: 'ROLE_REQUIRED' });
    }
  });

  it('needs exactly one of tarball and tarballBase64', async () => {
    for (const body of [
      { name: 'a', version: '1.0.0' },
      { name: 'a', version: '1.0.0', tarball: 'https://x.example/a.tgz', tarballBase64: 'AA==' },
    ]) {
      const res = await post(body);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({ error: 'send exactly one of "tarball" (a URL) or "tarballBase64"', code: 'TARBALL_REQUIRED' });
    }
  });

  it('refuses a body that disagrees with package.json in the tarball', async () => {
    const res = await post({ name: 'a', version: '2.0.0', tarballBase64: tgz({ name: 'a', version: '1.0.0' }) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: '"version" is "2.0.0" but package.json in the tarball says "1.0.0"', code: 'MANIFEST_MISMATCH' });
    const deps = await post({ name: 'a', version: '1.0.0', dependencies: { x: '1' }, tarballBase64: tgz({ name: 'a', version: '1.0.0' }) });
    expect(deps.json().code).toBe('MANIFEST_MISMATCH');
  });

  it.each([
    ['http://127.0.0.1:8080/a.tgz', 'private_address'],
    ['http://169.254.169.254/latest/a.tgz', 'metadata_address'],
    ['http://[::ffff:10.0.0.1]/a.tgz', 'private_address'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
  ])('refuses the tarball URL %s (%s) with 422', async (url, reason) => {
    const res = await post({ name: 'a', version: '1.0.0', tarball: url });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'TARBALL_URL_NOT_ALLOWED', details: { reason } });
  });

  it('refuses archives that are not gzip or have no package.json', async () => {
    expect(
      (await post({ name: 'a', version: '1.0.0', tarballBase64: Buffer.from('not a tarball').toString('base64') })).json(),
    ).toMatchObject({
      code: 'INVALID_TARBALL',
    });
    await expect(readPackageJson(makeTgz([{ path: 'package/index.js', content: '1' }]), 1e6)).rejects.toThrow(
      'no readable package/package.json',
    );
    expect(await readPackageJson(Buffer.from(tgz({ name: 'ok', version: '1.2.3' }), 'base64'), 1e6)).toEqual({
      name: 'ok',
      version: '1.2.3',
    });
  });
});
