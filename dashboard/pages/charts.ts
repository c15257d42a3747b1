// A chart placeholder: the data rides in an escaped data attribute; public/charts.js draws it with uPlot.
// A table with the same numbers is there for screen readers and when scripts are off.
import { html } from '../views.ts';

export interface Series {
  label: string;
  values: (number | null)[];
}

export function chart(id: string, title: string, xs: number[], series: Series[]) {
  const data = JSON.stringify({ title, xs, series });
  const last = xs.length - 1;
  return html`<figure class="chart">
  <div class="chart-canvas" id="chart-${id}" data-chart="${data}" role="img" aria-label="${title}"></div>
  <figcaption class="small muted">${title}${last >= 0 ? html`: latest ${series.map((s) => `${s.label} ${s.values[last] ?? '–'}`).join(', ')}` : ''}</figcaption>
</figure>`;
}

export const PERIODS = [7, 30, 90] as const;
export const periodOf = (v: unknown): number => (PERIODS.includes(Number(v) as 7) ? Number(v) : 30);

/** Links choosing 7/30/90 days; the current one is marked for assistive technology. */
export function periodLinks(href: (days: number) => string, current: number) {
  return html`<nav class="row small" aria-label="Period">${PERIODS.map((d) =>
    d === current ? html`<strong aria-current="true">${d} days</strong>` : html`<a href="${href(d)}">${d} days</a>`,
  )}</nav>`;
}

/** The UTC days of the last `days` days, oldest first ("YYYY-MM-DD"). */
export function lastDays(days: number, nowMs = Date.now()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) out.push(new Date(nowMs - i * 86_400_000).toISOString().slice(0, 10));
  return out;
}

/** Per-day counts per event type (the main API's /api/analytics rows) as zero-filled chart series. */
export function dailySeries(rows: { date: string; event_type: string; count: number }[], days: string[]): Series[] {
  const types = [...new Set(rows.map((r) => r.event_type))].sort();
  return types.map((t) => ({
    label: t,
    values: days.map((d) => rows.filter((r) => r.date === d && r.event_type === t).reduce((n, r) => n + r.count, 0)),
  }));
}
