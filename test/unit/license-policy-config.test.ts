// The operator's licence policy (LICENSE_POLICY, LICENSE_ALLOW, LICENSE_DENY in lib/config.ts): parsed and checked
// at start, combined with a profile (registry/security/licenses.ts configuredLicensePolicy), and applied by the
// registry to npm and PyPI publishes and to dependency-tree reports.
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { configuredLicensePolicy, DEFAULT_LICENSE_POLICY, evaluateLicense } from '../../registry/security/licenses.ts';
import { makeWheel, twineUpload } from '../fixtures/pypi/pypi-fixtures.ts';
import { testSecrets } from '../helpers/config.ts';
import { buildTestRegistry, publishBody } from '../helpers/npm-fixtures.ts';

const internal = { 'x-internal-token': testSecrets.internalToken };
const verdict = (license: string, policy = DEFAULT_LICENSE_POLICY) => evaluateLicense({ license }, policy).verdict;

describe('configured licence policy', () => {
  it('reads a profile and SPDX lists; bad values are named at start', () => {
    const c = loadConfig({
      DATA_DIR: '/tmp/x',
      LICENSE_POLICY: 'strict',
      LICENSE_ALLOW: 'GPL-3.0-only, LicenseRef-Acme-*',
      LICENSE_DENY: 'MIT',
    });
    expect([c.LICENSE_POLICY, c.LICENSE_ALLOW, c.LICENSE_DENY]).toEqual(['strict', ['GPL-3.0-only', 'LicenseRef-Acme-*'], ['MIT']]);
    expect(loadConfig({ DATA_DIR: '/tmp/x' })).toMatchObject({ LICENSE_POLICY: 'default', LICENSE_ALLOW: [], LICENSE_DENY: [] });
    expect(() => loadConfig({ DATA_DIR: '/tmp/x', LICENSE_DENY: 'MIT; rm -rf /' })).toThrow(
      /LICENSE_DENY.*SPDX license ids separated by commas/s,
    );
    expect(() => loadConfig({ DATA_DIR: '/tmp/x', LICENSE_POLICY: 'lenient' })).toThrow(/LICENSE_POLICY/);
  });

  it('allows on top of the profile, and a deny wins over every allow', () => {
    expect(verdict('GPL-3.0-only')).not.toBe('allow');
    const p = configuredLicensePolicy('default', ['GPL-3.0-only', 'MIT', 'LicenseRef-Acme-Internal'], ['MIT']);
    expect(verdict('GPL-3.0-only', p)).toBe('allow');
    expect(verdict('MIT', p)).toBe('deny');
    expect(verdict('LicenseRef-Acme-Internal', p)).toBe('allow');
    expect(verdict('Apache-2.0', p)).toBe('allow');
    // strict denies strong copyleft as a class; an explicit allow does not lift a class deny.
    expect(verdict('AGPL-3.0-only', configuredLicensePolicy('strict', [], []))).toBe('deny');
    expect(verdict('AGPL-3.0-only', configuredLicensePolicy('saas', [], []))).toBe('deny');
    expect(verdict('GPL-3.0-only', configuredLicensePolicy('saas', [], []))).not.toBe('deny');
  });
});

describe('the registry applies the configured policy', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>> | undefined;
  afterEach(async () => r?.app.close());

  it('LICENSE_DENY=MIT: an MIT npm package and an MIT wheel are denied; LICENSE_ALLOW lets a GPL dependency through the tree', async () => {
    r = await buildTestRegistry({ LICENSE_DENY: 'MIT', LICENSE_ALLOW: 'GPL-3.0-only' });
    const app = r.app;
    const put = await app.inject({
      method: 'PUT',
      url: '/npm/mit-pkg',
      headers: { authorization: `Bearer ${r.alice.token}`, 'content-type': 'application/json' },
      payload: publishBody('mit-pkg', '1.0.0', { pkg: { license: 'MIT' } }),
    });
    expect(put.statusCode).toBe(201);
    const npmReport = (await app.inject({ method: 'GET', url: '/internal/packages/mit-pkg/1.0.0/security', headers: internal })).json();
    expect(npmReport.licenses.package.verdict).toBe('deny');

    expect((await twineUpload(app, makeWheel('gpl-lib', '1.0', { license: 'GPL-3.0-only' }), 'gpl-lib', '1.0', r.alice)).statusCode).toBe(
      200,
    );
    const wheel = makeWheel('mit-app', '1.0', { license: 'MIT', requiresDist: ['gpl-lib'] });
    expect((await twineUpload(app, wheel, 'mit-app', '1.0', r.alice)).statusCode).toBe(200);
    const report = (await app.inject({ method: 'GET', url: '/internal/artifacts/pypi/mit-app/1.0/security', headers: internal })).json();
    expect(report.licenses.package.verdict).toBe('deny');
    expect(report.licenses.tree).toMatchObject({ verdict: 'allow', licenses: [expect.objectContaining({ expression: 'GPL-3.0-only' })] });
  });
});
