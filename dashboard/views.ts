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

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  username?: string;
}

export function layout(o: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Elide Marketplace</title>
<link rel="stylesheet" href="/public/app.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <a class="brand" href="/">Elide Marketplace</a>
  <nav aria-label="Main">
    <a href="/">Home</a>
  </nav>
  <span class="who">${o.username ? html`Signed in as <strong>${o.username}</strong>` : ''}</span>
</header>
<main id="main">
${o.body}
</main>
</body>
</html>`.value;
}
