// POST /api/packages reads package/package.json from the tarball before the registry sees it. It inflated the whole
// archive into one buffer (up to 750 MB): a 700 kB gzip of zeros grew the main API by 1.5 GB. The reader now
// streams, drops other entries' bytes, stops at package.json and inflates no more than the registry's ratio allows.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readPackageJson } from '../../api/packages-publish.ts';
import { createManualClock } from '../../lib/clock.ts';
import { makeTgz } from '../helpers/npm-fixtures.ts';
import { addUser, buildTestApi, type TestUser } from './api-events-fixtures.ts';

const ZEROS = Buffer.alloc(64 * 1024 * 1024);
const PJ = JSON.stringify({ name: 'bomb-pkg', version: '1.0.0' });
// 64 MB of zeros compress to about 64 kB: a thousand to one, ten times the ratio the registry accepts.
const junkFirst = makeTgz([
  { path: 'package/zeros.bin', content: ZEROS },
  { path: 'package/package.json', content: PJ },
]);
const manifestFirst = makeTgz([
  { path: 'package/package.json', content: PJ },
  { path: 'package/zeros.bin', content: ZEROS },
]);

describe('readPackageJson against decompression bombs', () => {
  it('refuses to inflate past 100 times the compressed size to reach package.json', async () => {
    expect(junkFirst.length).toBeLessThan(1024 * 1024);
    await expect(readPackageJson(junkFirst, 1e9)).rejects.toMatchObject({
      statusCode: 400,
      code: 'INVALID_TARBALL',
      message: expect.stringContaining('decompression bomb'),
    });
  });

  it('reads a package.json that comes first without inflating what follows', async () => {
    expect(await readPackageJson(manifestFirst, 1e9)).toEqual({ name: 'bomb-pkg', version: '1.0.0' });
  });

  it('refuses a package.json over 1 MB', async () => {
    const big = makeTgz([{ path: 'package/package.json', content: JSON.stringify({ name: 'x', pad: 'a'.repeat(1024 * 1024) }) }]);
    await expect(readPackageJson(big, 1e9)).rejects.toMatchObject({ code: 'INVALID_TARBALL', message: expect.stringContaining('1 MB') });
  });
});

describe('POST /api/packages with a decompression bomb', () => {
  const clock = createManualClock();
  let t: Awaited<ReturnType<typeof buildTestApi>>;
  let user: TestUser;
  beforeEach(async () => {
    t = await buildTestApi(clock);
    user = addUser(t.db, clock, 'publisher-b', 'team', 'publisher');
  });
  afterEach(async () => t.app.close());

  it('answers 400 before anything reaches the registry', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/packages',
      headers: user.auth,
      payload: { name: 'bomb-pkg', version: '1.0.0', tarballBase64: junkFirst.toString('base64') },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'INVALID_TARBALL', error: expect.stringContaining('decompression bomb') });
  });
});
