// A package whose latest version is deprecated: the page says so above the install command, in the author's
// words (escaped), as npmjs.com does; an older deprecated version only carries its flag in the versions table.
import { describe, expect, it } from 'vitest';
import { type PackageView, renderPackage } from '../../dashboard/pages/packages.ts';

const pkg = (versions: PackageView['versions']): PackageView => ({
  name: 'old-thing',
  ecosystem: 'npm',
  description: 'does a thing',
  maintainers: ['demo'],
  license: 'MIT',
  keywords: [],
  downloads: 0,
  stars: 0,
  score: null,
  distTags: { latest: '2.0.0' },
  readme: '',
  versions,
});
const extra = { deps: {}, days: 30, registry: 'http://127.0.0.1:4873' };

describe('deprecated packages on the package page', () => {
  it('a deprecated latest version gets a banner with the message before the install command', () => {
    const page = renderPackage(
      { csrf: 'x' },
      pkg([
        { version: '2.0.0', publishedAt: '2026-01-02T00:00:00Z', deprecated: 'use <new-thing> instead', size: 1 },
        { version: '1.0.0', publishedAt: '2026-01-01T00:00:00Z', deprecated: null, size: 1 },
      ]),
      extra,
    );
    const banner = '<p class="deprecated" role="note"><strong>Deprecated:</strong> use &lt;new-thing&gt; instead</p>';
    expect(page).toContain(banner);
    expect(page.indexOf(banner)).toBeLessThan(page.indexOf('id="install-snippet"'));
    // The versions table names the message too (hover), escaped inside the attribute.
    expect(page).toContain('<span class="flag" title="use &lt;new-thing&gt; instead">deprecated</span>');
  });

  it('no banner when only an older version is deprecated', () => {
    const page = renderPackage(
      { csrf: 'x' },
      pkg([
        { version: '2.0.0', publishedAt: '2026-01-02T00:00:00Z', deprecated: null, size: 1 },
        { version: '1.0.0', publishedAt: '2026-01-01T00:00:00Z', deprecated: 'security bug, upgrade', size: 1 },
      ]),
      extra,
    );
    expect(page).not.toContain('class="deprecated"');
    expect(page).toContain('<span class="flag" title="security bug, upgrade">deprecated</span>');
  });
});
