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
