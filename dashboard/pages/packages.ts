// Package search (filters, sort, pagination) and the package page (README, install, versions, score, security).
import { renderMarkdown } from '../markdown.ts';
import { html, layout, num, type PageCtx, plural, type SafeHtml, when } from '../views.ts';
import { chart, periodLinks } from './charts.ts';

export const ECOSYSTEMS = ['npm', 'pypi', 'maven', 'rubygems'] as const;
export const SORTS = ['relevance', 'score', 'downloads', 'updated'] as const;

export interface SearchHit {
  name: string;
  description: string | null;
  version: string | null;
  downloads: number;
  score: number | null;
  updatedAt: string;
}
export interface SearchView {
  q: string;
  keywords: string;
  ecosystem: string;
  sort: string;
  page: number;
  pageSize: number;
  total: number;
  results: SearchHit[];
}

const option = (value: string, current: string, label = value) =>
  html`<option value="${value}"${current === value ? html` selected` : ''}>${label}</option>`;

function pageLink(v: SearchView, page: number): string {
  const p = new URLSearchParams({ q: v.q, keywords: v.keywords, ecosystem: v.ecosystem, sort: v.sort, page: String(page) });
  return `/packages?${p}`;
}

export const packageHref = (name: string, ecosystem: string) =>
  `/package/${name.split('/').map(encodeURIComponent).join('/')}${ecosystem === 'npm' ? '' : `?ecosystem=${encodeURIComponent(ecosystem)}`}`;

export function renderSearch(ctx: PageCtx, v: SearchView): string {
  const pages = Math.max(1, Math.ceil(v.total / v.pageSize));
  const body = html`<h1>Packages</h1>
<form method="get" action="/packages" class="filters" role="search">
  <label for="q">Search</label>
  <input id="q" name="q" type="search" value="${v.q}" maxlength="200">
  <label for="keywords">Keywords</label>
  <input id="keywords" name="keywords" value="${v.keywords}" maxlength="200" placeholder="http, cli">
  <label for="ecosystem">Ecosystem</label>
  <select id="ecosystem" name="ecosystem">${ECOSYSTEMS.map((e) => option(e, v.ecosystem))}</select>
  <label for="sort">Sort by</label>
  <select id="sort" name="sort">${SORTS.map((s) => option(s, v.sort))}</select>
  <button type="submit">Search</button>
</form>
<p class="muted" role="status">${v.total} package${v.total === 1 ? '' : 's'} found.</p>
<ul class="results">
${v.results.map(
  (r) => html`<li class="result">
  <a href="${packageHref(r.name, v.ecosystem)}"><strong>${r.name}</strong></a> <span class="muted">${r.version ?? ''}</span>
  <p>${r.description ?? ''}</p>
  <p class="muted small">${plural(r.downloads, 'download')} · score ${r.score == null ? '–' : r.score.toFixed(2)} · updated ${when(r.updatedAt)}</p>
</li>`,
)}
</ul>
${
  pages > 1
    ? html`<nav aria-label="Pages" class="pager">
  ${v.page > 1 ? html`<a href="${pageLink(v, v.page - 1)}" rel="prev">Previous</a>` : ''}
  <span>Page ${v.page} of ${pages}</span>
  ${v.page < pages ? html`<a href="${pageLink(v, v.page + 1)}" rel="next">Next</a>` : ''}
</nav>`
    : ''
}`;
  return layout({ title: 'Packages', ctx, body });
}

export interface PackageView {
  name: string;
  ecosystem: string;
  description: string | null;
  maintainers: string[];
  license: string | null;
  keywords: string[];
  downloads: number;
  stars: number;
  score: { quality: number; popularity: number; maintenance: number; overall: number } | null;
  distTags: Record<string, string>;
  readme: string;
  versions: { version: string; publishedAt: string; deprecated: string | null; size: number }[];
}

/** The registry's public dependents of a package (latest versions only), at most 100 listed. */
export interface DependentsView {
  dependents: { name: string; version: string; range: string; kind: string }[];
  total: number;
}

export interface SecurityView {
  verdict: string | null;
  vulnerabilities: {
    direct: { id: string; title: string; severity: string; range: string; url?: string }[];
    transitive: { name: string; version: string; severity?: string; paths: string[][]; fixAvailable?: unknown; via?: unknown[] }[];
  };
  malware: { rule?: string; message?: string; severity?: string }[];
  typosquat: { rule?: string; message?: string; similarTo?: string }[];
}

/**
 * How to install from this registry, ready to copy: each command names the registry (`registry` is its public
 * origin), because the bare command would fetch a same-named package from the public registry instead.
 * pip gets --index-url, not --extra-index-url, and gem --clear-sources: with the public index beside ours, a
 * public package of the same name could win (dependency confusion).
 */
export function installSnippet(name: string, ecosystem: string, registry: string, version?: string): string {
  switch (ecosystem) {
    case 'pypi':
      return `pip install --index-url ${registry}/pypi/simple/ ${name}${version ? `==${version}` : ''}`;
    case 'maven': {
      // A dependency needs a version: Maven 3 no longer resolves the LATEST meta-version reliably (deprecated).
      const [g, a] = name.split(':');
      return `<repositories>\n  <repository>\n    <id>elide</id>\n    <url>${registry}/maven2/</url>\n  </repository>\n</repositories>\n\n<dependency>\n  <groupId>${g}</groupId>\n  <artifactId>${a ?? g}</artifactId>\n  <version>${version ?? 'LATEST'}</version>\n</dependency>`;
    }
    case 'rubygems':
      return `gem install ${name}${version ? ` -v ${version}` : ''} --clear-sources --source ${registry}/rubygems/`;
    default:
      return `npm install ${name} --registry ${registry}/npm/`;
  }
}

const bar = (label: string, value: number) =>
  html`<div class="bar"><span>${label}</span><meter min="0" max="1" value="${value}" aria-label="${label}">${value.toFixed(2)}</meter><span>${value.toFixed(2)}</span></div>`;

type Fix = boolean | { name: string; version: string; isSemVerMajor: boolean } | unknown;
function fixText(f: Fix): string {
  if (f && typeof f === 'object' && 'version' in f) {
    const x = f as { name: string; version: string; isSemVerMajor: boolean };
    return `fixed by ${x.name}@${x.version}${x.isSemVerMajor ? ' (semver-major)' : ''}`;
  }
  return f ? 'fix available' : 'no fix yet';
}
function viaText(via: unknown[] | undefined): string {
  const titles = (via ?? []).map((v) => (typeof v === 'string' ? v : ((v as { title?: string }).title ?? ''))).filter(Boolean);
  return titles.length ? ` (${titles.slice(0, 3).join('; ')})` : '';
}

function securitySection(sec: SecurityView | undefined): SafeHtml {
  if (!sec) return html``;
  const direct = sec.vulnerabilities.direct;
  const trans = sec.vulnerabilities.transitive;
  const flags = [...sec.malware, ...sec.typosquat];
  return html`<section aria-labelledby="sec-h"><h2 id="sec-h">Security</h2>
<p>Verdict: <strong>${sec.verdict ?? 'not scanned'}</strong></p>
${direct.length + trans.length === 0 ? html`<p>No known vulnerabilities.</p>` : ''}
${direct.map((d) => html`<p class="vuln"><strong>${d.severity}</strong> ${d.id}: ${d.title} (affects ${d.range})</p>`)}
${trans.map(
  (t) =>
    html`<p class="vuln"><strong>${t.severity ?? 'vulnerable'}</strong> ${t.name}@${t.version}${viaText(t.via)} · path ${t.paths.map((p) => p.join(' › ')).join('; ')} · ${fixText(t.fixAvailable)}</p>`,
)}
${flags.map((f) => html`<p class="flag">${f.rule ?? 'flag'}: ${f.message ?? ''}</p>`)}
</section>`;
}

function dependentsSection(ecosystem: string, d: DependentsView | undefined): SafeHtml {
  if (!d) return html``;
  const more = d.total - d.dependents.length;
  return html`<h2 id="dependents-h">Dependents (${d.total})</h2>
  ${
    d.dependents.length
      ? html`<ul aria-labelledby="dependents-h" class="dependents">${d.dependents.map(
          (x) =>
            html`<li><a href="${packageHref(x.name, ecosystem)}">${x.name}</a> <span class="muted small">${x.version} · ${x.kind === 'dependencies' ? '' : `${x.kind.replace('Dependencies', '')} `}${x.range}</span></li>`,
        )}</ul>${more > 0 ? html`<p class="muted small">and ${more} more.</p>` : ''}`
      : html`<p>No package in this registry depends on it.</p>`
  }`;
}

export function renderPackage(
  ctx: PageCtx,
  p: PackageView,
  extra: {
    deps: Record<string, string>;
    dependents?: DependentsView;
    security?: SecurityView;
    downloads?: { day: string; downloads: number }[];
    days: number;
    /** The registry's public origin, named in the install command. */
    registry: string;
  },
): string {
  const latest = p.distTags.latest;
  const days = extra.downloads ?? [];
  // As npm install warns and npmjs.com shows a banner: the version the install command gets is deprecated, in
  // the author's words, above that command (not only a flag deep in the versions table).
  const deprecated = p.versions.find((v) => v.version === latest)?.deprecated;
  const body = html`<h1>${p.name} <span class="muted">${latest ?? ''}</span></h1>
<p>${p.description ?? ''}</p>
${deprecated ? html`<p class="deprecated" role="note"><strong>Deprecated:</strong> ${deprecated}</p>` : ''}
<div class="layout-2">
<article class="readme" aria-label="README">${p.readme ? renderMarkdown(p.readme) : html`<p class="muted">No README.</p>`}</article>
<aside>
  <h2>Install</h2>
  <!-- Focusable: a long command scrolls, and keyboard users must reach it (axe scrollable-region-focusable). -->
  <pre class="snippet" tabindex="0" aria-label="Install command"><code id="install-snippet">${installSnippet(p.name, p.ecosystem, extra.registry, p.ecosystem === 'maven' ? latest : undefined)}</code></pre>
  <button type="button" class="copy" data-copy="install-snippet">Copy</button>
  <dl>
    <dt>License</dt><dd>${p.license ?? 'none'}</dd>
    <dt>Downloads (all time)</dt><dd>${num(p.downloads)}</dd>
    <dt>Stars</dt><dd>${num(p.stars)}</dd>
    <dt>Maintainers</dt><dd>${p.maintainers.join(', ') || '–'}</dd>
    <dt>Keywords</dt><dd>${p.keywords.map((k) => html`<a href="/packages?keywords=${encodeURIComponent(k)}&amp;ecosystem=${p.ecosystem}">${k}</a> `)}</dd>
  </dl>
  ${p.score ? html`<h2>Score ${p.score.overall.toFixed(2)}</h2>${bar('Quality', p.score.quality)}${bar('Popularity', p.score.popularity)}${bar('Maintenance', p.score.maintenance)}` : ''}
  ${
    days.length
      ? // The period asked for (?days=7|30|90), its total as npmjs.com shows "Weekly Downloads", and UTC days.
        html`<h2 id="downloads-h">Downloads, last ${extra.days} days</h2>
  ${periodLinks((n) => `${packageHref(p.name, p.ecosystem)}${p.ecosystem === 'npm' ? '?' : '&'}days=${n}`, extra.days)}
  <p><strong id="downloads-total">${plural(
    days.reduce((n, d) => n + d.downloads, 0),
    'download',
  )}</strong> <span class="muted small">${days[0].day} to ${days[days.length - 1].day} (UTC)</span></p>
  ${chart(
    'downloads',
    'Downloads per day',
    days.map((d) => Date.parse(d.day) / 1000),
    [{ label: 'downloads', values: days.map((d) => d.downloads) }],
  )}`
      : ''
  }
  <h2>Dist-tags</h2>
  <ul>${Object.entries(p.distTags).map(([t, v]) => html`<li>${t}: ${v}</li>`)}</ul>
  <h2>Dependencies</h2>
  ${Object.keys(extra.deps).length ? html`<ul>${Object.entries(extra.deps).map(([d, r]) => html`<li><a href="${packageHref(d, p.ecosystem)}">${d}</a> ${r}</li>`)}</ul>` : html`<p>None.</p>`}
  ${dependentsSection(p.ecosystem, extra.dependents)}
  <h2>Versions</h2>
  <table><caption class="visually-hidden">Published versions</caption><thead><tr><th scope="col">Version</th><th scope="col">Published</th></tr></thead>
  <tbody>${p.versions.slice(0, 50).map((v) => html`<tr><td>${v.version}${v.deprecated ? html` <span class="flag" title="${v.deprecated}">deprecated</span>` : ''}</td><td>${when(v.publishedAt)}</td></tr>`)}</tbody></table>
  ${securitySection(extra.security)}
</aside>
</div>`;
  return layout({ title: p.name, ctx, body, scripts: days.length ? ['uPlot.iife.min.js', 'charts.js'] : [] });
}
