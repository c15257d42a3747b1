// The dashboard's escaping and README rendering: user content never becomes markup or a live link.
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../dashboard/markdown.ts';
import { installSnippet } from '../../dashboard/pages/packages.ts';
import { escapeHtml, html, layout, SafeHtml } from '../../dashboard/views.ts';
import { registryPublicOrigin } from '../../lib/config.ts';
import { XSS_README } from '../fixtures/dashboard/packages.ts';

describe('html template', () => {
  it('escapes every interpolated value', () => {
    const evil = `<script>alert("x")</script>' onmouseover='x`;
    expect(html`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39; onmouseover=&#39;x</p>',
    );
  });

  it('keeps nested templates and arrays as markup, drops null/undefined/false', () => {
    const items = ['<a>', 'b&c'];
    expect(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${null}${undefined}${false}${0}`.value).toBe(
      '<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>0',
    );
  });

  it('treats only SafeHtml as trusted', () => {
    expect(html`${new SafeHtml('<b>ok</b>')}${{ toString: () => '<b>no</b>' }}`.value).toBe('<b>ok</b>&lt;b&gt;no&lt;/b&gt;');
    expect(escapeHtml(undefined)).toBe('');
  });

  it('layout escapes the title and user name, shows a logout form with the CSRF token when signed in', () => {
    const page = layout({
      title: '<x>',
      body: html`hi`,
      ctx: { csrf: 'tok"en', user: { userId: 'u1', username: '<b>eve</b>', role: 'user' } },
    });
    expect(page).toContain('<title>&lt;x&gt; · Elide Marketplace</title>');
    expect(page).toContain('<strong>&lt;b&gt;eve&lt;/b&gt;</strong>');
    expect(page).toContain('<input type="hidden" name="_csrf" value="tok&quot;en">');
    expect(page).toContain('action="/logout"');
    expect(page).not.toMatch(/<script>(?!<\/script>)/);
    expect(page).not.toMatch(/ on\w+=/);
  });
});

describe('README markdown', () => {
  const out = renderMarkdown(XSS_README).value;

  it('renders raw HTML as text', () => {
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;');
    expect(out).toContain('&lt;img src=&quot;x&quot; onerror=');
  });

  it('never produces a javascript: or data: link or image', () => {
    expect(out).not.toMatch(/href="\s*(javascript|data|vbscript):/i);
    expect(out).not.toMatch(/src="/i);
  });

  it('keeps http(s) links with rel="nofollow noopener" and code blocks', () => {
    expect(out).toContain('<a href="https://elide.dev" rel="nofollow noopener">elide.dev</a>');
    expect(out).toContain('<pre><code class="language-js">');
  });

  it('checks links case-insensitively and with whitespace tricks', () => {
    const r = renderMarkdown('[a](JaVaScRiPt:alert(1)) [b]( javascript:alert(1)) [c](vbscript:x) [d](mailto:a@b.c) [e](#top)').value;
    expect(r).not.toMatch(/href="[^"]*script:/i);
    expect(r).toContain('href="mailto:a@b.c"');
    expect(r).toContain('href="#top"');
  });

  it('turns images into plain links (no third-party loads)', () => {
    expect(renderMarkdown('![logo](https://x.test/l.png)').value).toBe(
      '<p><a href="https://x.test/l.png" rel="nofollow noopener">logo</a></p>\n',
    );
  });
});

describe('install snippets', () => {
  // Each names this registry: a bare "pip install requests" would fetch the public package of that name.
  const R = 'https://pkgs.example.com';
  it('per ecosystem, from this registry only', () => {
    expect(installSnippet('@elide/http', 'npm', R)).toBe('npm install @elide/http --registry https://pkgs.example.com/npm/');
    expect(installSnippet('requests', 'pypi', R, '2.0')).toBe(
      'pip install --index-url https://pkgs.example.com/pypi/simple/ requests==2.0',
    );
    expect(installSnippet('rails', 'rubygems', R)).toBe('gem install rails --clear-sources --source https://pkgs.example.com/rubygems/');
    const maven = installSnippet('org.acme:lib', 'maven', R, '1.2');
    expect(maven).toContain('<url>https://pkgs.example.com/maven2/</url>');
    expect(maven).toContain('<groupId>org.acme</groupId>\n  <artifactId>lib</artifactId>\n  <version>1.2</version>');
  });

  it("the registry named is REGISTRY_PUBLIC_URL (with or without /npm), else the registry's own URL", () => {
    const urls = { api: '', registry: 'http://127.0.0.1:4873', marketplace: '', orchestrator: '', dashboard: '' };
    expect(registryPublicOrigin({ urls })).toBe('http://127.0.0.1:4873');
    expect(registryPublicOrigin({ urls, REGISTRY_PUBLIC_URL: 'https://pkgs.example.com/npm/' })).toBe('https://pkgs.example.com');
    expect(registryPublicOrigin({ urls, REGISTRY_PUBLIC_URL: 'https://pkgs.example.com' })).toBe('https://pkgs.example.com');
  });

  it('a Maven package page pins the latest version in its dependency snippet, never the deprecated LATEST', async () => {
    const { renderPackage } = await import('../../dashboard/pages/packages.ts');
    const page = renderPackage(
      { csrf: 'x' },
      {
        name: 'com.elide:hello',
        ecosystem: 'maven',
        description: null,
        maintainers: [],
        license: null,
        keywords: [],
        downloads: 0,
        stars: 0,
        score: null,
        distTags: { latest: '1.4.0' },
        readme: '',
        versions: [],
      },
      { deps: {}, days: 30, registry: 'http://127.0.0.1:4873' },
    );
    expect(page).toContain('&lt;artifactId&gt;hello&lt;/artifactId&gt;\n  &lt;version&gt;1.4.0&lt;/version&gt;');
    expect(page).not.toContain('LATEST');
  });
});

describe('package security section', () => {
  it('shows vulnerable paths, advisories and the fixing version, escaped', async () => {
    const { renderPackage } = await import('../../dashboard/pages/packages.ts');
    const page = renderPackage(
      { csrf: 'x' },
      {
        name: 'app',
        ecosystem: 'npm',
        description: null,
        maintainers: ['demo'],
        license: 'MIT',
        keywords: [],
        downloads: 0,
        stars: 0,
        score: { quality: 0.5, popularity: 0.25, maintenance: 1, overall: 0.6 },
        distTags: { latest: '1.0.0' },
        readme: '',
        versions: [],
      },
      {
        deps: { lodash: '^4.0.0' },
        days: 30,
        registry: 'http://127.0.0.1:4873',
        dependents: {
          total: 102,
          dependents: [
            { name: '@acme/<web>', version: '2.0.0', range: '^1.0.0', kind: 'dependencies' },
            { name: 'plugin', version: '1.0.0', range: '1.x', kind: 'peerDependencies' },
          ],
        },
        security: {
          verdict: 'warn',
          vulnerabilities: {
            direct: [],
            transitive: [
              {
                name: 'lodash',
                version: '4.17.4',
                severity: 'high',
                paths: [['app', 'lodash']],
                via: [{ title: 'Prototype <pollution>' }],
                fixAvailable: { name: 'lodash', version: '4.17.21', isSemVerMajor: false },
              },
            ],
          },
          malware: [],
          typosquat: [{ rule: 'T1', message: 'looks like lodash' }],
        },
      },
    );
    expect(page).toContain(
      '<strong>high</strong> lodash@4.17.4 (Prototype &lt;pollution&gt;) · path app › lodash · fixed by lodash@4.17.21',
    );
    expect(page).toContain('T1: looks like lodash');
    expect(page).toContain('<h2 id="dependents-h">Dependents (102)</h2>');
    expect(page).toContain('<a href="/package/%40acme/%3Cweb%3E">@acme/&lt;web&gt;</a>');
    expect(page).toContain('1.0.0 · peer 1.x');
    expect(page).toContain('and 100 more.');
    expect(page).toContain('<h2>Score 0.60</h2>');
    expect(page).toContain('aria-label="Popularity"');
  });
});
