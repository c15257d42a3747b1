// Service catalog (category, region, price, rating filters) and the service page with tiers side by side,
// regions, SLA, reviews and a deploy form built from the service's JSON config schema.

import { tierPrice } from '../../lib/tier-price.ts';
import { csrfField, fieldError, html, layout, money, type PageCtx, type SafeHtml } from '../views.ts';

export const CATEGORIES = ['database', 'ml', 'api', 'storage', 'compute'] as const;
export const REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-1', 'ap-northeast-1'] as const;

export interface ServiceCard {
  name: string;
  slug: string;
  category: string;
  description: string;
  averageRating: number;
  ratingCount: number;
  featured: boolean;
  premium: boolean;
  startingPrice: number;
  /** Whether one tier costs nothing at all: a $0 metered tier still bills usage. Absent from older marketplaces. */
  hasFreeTier?: boolean;
}
export interface CatalogFilters {
  q: string;
  category: string;
  region: string;
  maxPrice: string;
  minRating: string;
  sort: string;
}

/** The marketplace's catalog orders (marketplace/catalog.ts CATALOG_SORTS), with the words the CLI's --sort uses. */
export const CATALOG_SORTS: readonly (readonly [string, string])[] = [
  ['featured', 'featured first'],
  ['name', 'name'],
  ['price', 'cheapest first'],
  ['rating', 'best rated'],
  ['popular', 'most deployed'],
];

/** A card's starting price: $0 a month is "free" only when that tier bills nothing (service-cli list's FROM). */
export const startingAt = (s: Pick<ServiceCard, 'startingPrice' | 'hasFreeTier'>) =>
  s.startingPrice > 0 ? `from ${money(s.startingPrice)}/month` : s.hasFreeTier === false ? 'pay as you go' : 'free tier';

const stars = (rating: number, count: number) => (count ? `★ ${rating.toFixed(1)} (${count})` : 'no ratings yet');
const opt = (v: string, cur: string, label = v) => html`<option value="${v}"${v === cur ? html` selected` : ''}>${label}</option>`;

export function renderCatalog(ctx: PageCtx, f: CatalogFilters, services: ServiceCard[]) {
  const byCat = CATEGORIES.map((c) => ({ c, list: services.filter((s) => s.category === c) })).filter((g) => g.list.length);
  const body = html`<h1>Services</h1>
<form method="get" action="/services" class="filters">
  <label for="sq">Search</label><input id="sq" name="q" type="search" value="${f.q}" maxlength="100">
  <label for="category">Category</label>
  <select id="category" name="category">${opt('', f.category, 'all')}${CATEGORIES.map((c) => opt(c, f.category))}</select>
  <label for="region">Region</label>
  <select id="region" name="region">${opt('', f.region, 'any')}${REGIONS.map((r) => opt(r, f.region))}</select>
  <label for="maxPrice">Max. starting price ($/month)</label><input id="maxPrice" name="maxPrice" type="number" min="0" value="${f.maxPrice}">
  <label for="minRating">Min. rating</label>
  <select id="minRating" name="minRating">${opt('', f.minRating, 'any')}${['1', '2', '3', '4', '5'].map((r) => opt(r, f.minRating, `${r}★`))}</select>
  <label for="sort">Sort</label>
  <select id="sort" name="sort">${CATALOG_SORTS.map(([v, l]) => opt(v, f.sort || 'featured', l))}</select>
  <button type="submit">Filter</button>
</form>
${byCat.length === 0 ? html`<p>No service matches these filters.</p>` : ''}
${byCat.map(
  (g) =>
    html`<h2>${g.c}</h2><div class="cards">${g.list.map(
      (s) => html`<a class="card" href="/services/${s.slug}">
  <strong>${s.name}</strong>${s.featured ? html` <span class="badge">featured</span>` : s.premium ? html` <span class="badge">premium</span>` : ''}
  <span class="block">${s.description}</span>
  <span class="block small">${startingAt(s)} · ${stars(s.averageRating, s.ratingCount)}</span>
</a>`,
    )}</div>`,
)}`;
  return layout({ title: 'Services', ctx, body });
}

export interface TierView {
  id: string;
  name: string;
  price: number;
  model: string;
  features: string[];
  instances: { min: number; max: number };
  regions: string[];
  usage: { unit: string; included: number; pricePer: number; price: number } | null;
}
export interface ServiceDetail extends ServiceCard {
  publisher: string;
  pricing: { model: string; tiers: TierView[] };
  specifications: { versions: string[]; regions: string[]; sla: { uptime: number; responseTime: number; support: string } };
  configSchema: { properties?: Record<string, JsonProp>; required?: string[] };
}
interface JsonProp {
  type?: string;
  enum?: (string | number)[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  description?: string;
}
export interface Review {
  username: string;
  rating: number;
  title: string;
  body: string;
  verified: boolean;
  createdAt: string;
}
export interface DeployForm {
  values: Record<string, string>;
  errors: Record<string, string>;
  error?: string;
  notice?: string;
  /** A refused review: what was typed and why, shown in the (opened) review form rather than above Deploy. */
  review?: { rating: string; title: string; body: string; error: string };
}

/**
 * The marketplace's rule for a deployment name (marketplace/routes/deployments.ts NAME, which service-cli deploy
 * also accepts), as an HTML pattern: anchored by the browser, max. length from maxlength. The dash is escaped
 * because Chromium compiles patterns with the `v` flag, where a bare `-` in a class is a syntax error.
 */
export const DEPLOYMENT_NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9._\\-]*';

const label = (key: string) => key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());

function configField(key: string, p: JsonProp, required: boolean, form: DeployForm): SafeHtml {
  const id = `cfg-${key}`;
  const name = `config.${key}`;
  const value = form.values[name] ?? '';
  const err = fieldError(form.errors, name);
  const described = form.errors[name] ? `err-${name}` : undefined;
  if (p.type === 'boolean')
    return html`<label class="check"><input type="checkbox" id="${id}" name="${name}" value="true"${value === 'true' ? html` checked` : ''}> ${label(key)}</label>${err}`;
  if (p.enum)
    return html`<label for="${id}">${label(key)}</label><select id="${id}" name="${name}"${described ? html` aria-describedby="${described}"` : ''}>${required ? '' : html`<option value="">default</option>`}${p.enum.map((v) => opt(String(v), value))}</select>${err}`;
  const numeric = p.type === 'integer' || p.type === 'number';
  return html`<label for="${id}">${label(key)}</label><input id="${id}" name="${name}" ${numeric ? html`type="number" step="${p.type === 'integer' ? '1' : 'any'}"` : html`type="text"`}${p.minimum !== undefined ? html` min="${p.minimum}"` : ''}${p.maximum !== undefined ? html` max="${p.maximum}"` : ''}${p.maxLength ? html` maxlength="${p.maxLength}"` : ''}${required ? html` required` : ''} value="${value}"${described ? html` aria-describedby="${described}"` : ''}>${err}`;
}

export function renderService(ctx: PageCtx, s: ServiceDetail, reviews: Review[], form: DeployForm) {
  const tiers = s.pricing.tiers;
  const props = Object.entries(s.configSchema.properties ?? {});
  const required = new Set(s.configSchema.required ?? []);
  const rv = form.review;
  const body = html`<h1>${s.name}</h1>
<p>${s.description}</p>
<p class="muted">${s.category} · by ${s.publisher} · ${stars(s.averageRating, s.ratingCount)}</p>
<h2>Tiers</h2>
<div class="table-scroll" tabindex="0" role="region" aria-label="Tiers compared"><table class="tiers">
<thead><tr><th scope="col">Tier</th>${tiers.map((t) => html`<th scope="col">${t.name}</th>`)}</tr></thead>
<tbody>
<tr><th scope="row">Price</th>${tiers.map((t) => html`<td>${tierPrice(t)}</td>`)}</tr>
<tr><th scope="row">Instances</th>${tiers.map((t) => html`<td>${t.instances.min}–${t.instances.max}</td>`)}</tr>
<tr><th scope="row">Features</th>${tiers.map((t) => html`<td><ul>${t.features.map((x) => html`<li>${x}</li>`)}</ul></td>`)}</tr>
<tr><th scope="row">Regions</th>${tiers.map((t) => html`<td>${t.regions.join(', ')}</td>`)}</tr>
</tbody></table></div>
<h2>Service level</h2>
<p>Uptime ${s.specifications.sla.uptime}% · response time ${s.specifications.sla.responseTime} ms · support ${s.specifications.sla.support} · versions ${s.specifications.versions.join(', ') || '–'}</p>
<h2 id="deploy">Deploy</h2>
${
  ctx.user
    ? html`${form.error ? html`<p class="error" role="alert">${form.error}</p>` : ''}
<form method="post" action="/services/${s.slug}/deploy" class="stack narrow" novalidate data-validate>
  ${csrfField(ctx)}
  <label for="dep-name">Deployment name</label>
  <input id="dep-name" name="name" required maxlength="63" pattern="${DEPLOYMENT_NAME_PATTERN}" value="${form.values.name ?? ''}" aria-describedby="dep-name-hint">
  <span class="hint" id="dep-name-hint">Up to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit.</span>
  ${fieldError(form.errors, 'name')}
  <label for="dep-tier">Tier</label>
  <select id="dep-tier" name="tier">${tiers.map((t) => opt(t.id, form.values.tier ?? tiers[0]?.id ?? '', `${t.name} (${tierPrice(t)})`))}</select>
  ${fieldError(form.errors, 'config.tier')}
  <label for="dep-region">Region</label>
  <select id="dep-region" name="region">${s.specifications.regions.map((r) => opt(r, form.values.region ?? 'us-east-1'))}</select>
  ${fieldError(form.errors, 'config.region')}
  ${props.map(([k, p]) => configField(k, p, required.has(k), form))}
  <button type="submit">Deploy ${s.name}</button>
</form>`
    : html`<p><a href="/login?next=${encodeURIComponent(`/services/${s.slug}`)}">Log in</a> to deploy.</p>`
}
<h2>Reviews</h2>
${reviews.length ? '' : html`<p>No reviews yet.</p>`}
${
  ctx.user
    ? html`<details${rv ? html` open` : ''}><summary>Write a review</summary>
${rv ? html`<p class="error" role="alert">${rv.error}</p>` : ''}
<form method="post" action="/services/${s.slug}/reviews" class="stack narrow">
  ${csrfField(ctx)}
  <label for="rv-rating">Rating</label>
  <select id="rv-rating" name="rating">${['5', '4', '3', '2', '1'].map((r) => html`<option value="${r}"${rv?.rating === r ? html` selected` : ''}>${'★'.repeat(Number(r))}</option>`)}</select>
  <label for="rv-title">Title</label><input id="rv-title" name="title" required maxlength="120" value="${rv?.title ?? ''}">
  <label for="rv-body">Review</label><textarea id="rv-body" name="body" rows="4" maxlength="5000">${rv?.body ?? ''}</textarea>
  <button type="submit">Post review</button>
</form></details>`
    : ''
}
${reviews.map(
  (r) =>
    html`<article class="review"><h3>${'★'.repeat(r.rating)} ${r.title}</h3><p>${r.body}</p><p class="small muted">${r.username}${r.verified ? ' · verified user' : ''}</p></article>`,
)}`;
  return layout({ title: s.name, ctx, body, notice: form.notice });
}
