// The only place HTML is produced from data: the `html` tagged template escapes every interpolated value
// unless it is already a SafeHtml produced by this module. User content can never become markup.
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function render(v: unknown): string {
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(v);
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Who is looking at the page: the signed-in user (from the main API's /api/auth/me) and the form CSRF token. */
export interface PageUser {
  userId: string;
  username: string;
  role: string;
}
export interface PageCtx {
  user?: PageUser;
  csrf: string;
}

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  ctx: PageCtx;
  /** A short fixed notice shown above the content (never user-supplied text). */
  notice?: string;
  /** Extra scripts from the fixed static list (e.g. charts). */
  scripts?: string[];
}

/** The hidden CSRF field every form carries. */
export const csrfField = (ctx: PageCtx) => html`<input type="hidden" name="_csrf" value="${ctx.csrf}">`;

export function layout(o: LayoutOptions): string {
  const u = o.ctx.user;
  const scripts = ['app.js', ...(o.scripts ?? [])];
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Elide Marketplace</title>
<link rel="stylesheet" href="/public/app.css">
${o.scripts?.includes('uPlot.iife.min.js') ? html`<link rel="stylesheet" href="/public/uPlot.min.css">` : ''}
${scripts.map((s) => html`<script src="/public/${s}" defer></script>`)}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Elide Marketplace</a>
  <nav aria-label="Main">
    <a href="/packages">Packages</a>
    <a href="/services">Services</a>
    ${u ? html`<a href="/deployments">Deployments</a><a href="/billing">Billing</a><a href="/webhooks">Webhooks</a><a href="/account">Account</a>` : ''}
    ${u?.role === 'admin' ? html`<a href="/admin">Admin</a>` : ''}
  </nav>
  ${
    u
      ? html`<form class="inline" method="post" action="/logout"><span class="who">Signed in as <strong>${u.username}</strong></span> ${csrfField(o.ctx)}<button type="submit" class="link">Log out</button></form>`
      : html`<span class="who"><a href="/login">Log in</a> · <a href="/register">Register</a></span>`
  }
</header>
<main id="main">
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
${o.body}
</main>
</body>
</html>`.value;
}

/** A friendly error page (the dashboard answers HTML, never a JSON error body, to a browser). */
export function errorPage(ctx: PageCtx, status: number, message: string): string {
  const title = status === 404 ? 'Not found' : status >= 500 ? 'Something went wrong' : 'Request refused';
  return layout({ title, ctx, body: html`<h1>${title}</h1><p class="error">${message}</p><p><a href="/">Back to the home page</a></p>` });
}

/** Money in dollars with two decimals. */
// Grouped and signed the way billing pages show money ("$1,234.50", "-$3.00", not "$1234.50" or "$-3.00").
const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
export const money = (dollars: number | null | undefined) => (dollars == null ? '–' : USD.format(dollars + 0)); // + 0: never "-$0.00"
/** A count with thousands separators, as npmjs.com shows downloads ("1,234,567"). */
export const num = (n: number) => n.toLocaleString('en-US');
/** A count and its noun, singular for exactly one: "1 download", "1,500 downloads". */
export const plural = (n: number, noun: string, nouns = `${noun}s`) => `${num(n)} ${n === 1 ? noun : nouns}`;
/** A size in SI units, as npmjs.com writes "Unpacked Size 20.1 kB": bytes up to 999, then kB, MB, GB, TB. */
export function bytes(n: number): string {
  if (n < 1000) return plural(n, 'byte');
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let i = 0;
  while (v >= 999.95 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
/** A date-time shortened to minutes, UTC. */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '–');
/** A date-time to the second, UTC: an audit log tells apart what happened within one minute. */
export const whenExact = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 19).replace('T', ' ')} UTC` : '–');

/** Form-field error messages keyed by field name, rendered next to the field. */
export function fieldError(errors: Record<string, string> | undefined, name: string) {
  const m = errors?.[name];
  return m ? html`<span class="field-error" id="err-${name}">${m}</span>` : '';
}
