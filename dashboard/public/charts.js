// Draws every [data-chart] placeholder with uPlot (served locally from node_modules, no CDN), and lets app.js
// replace a chart's data as new points arrive (window.elideCharts.update).

const plots = new Map();

const COLORS = ['#1d4ed8', '#b91c1c', '#047857', '#7c3aed'];

function draw(el) {
  let spec;
  try {
    spec = JSON.parse(el.getAttribute('data-chart'));
  } catch {
    return;
  }
  const width = Math.max(240, Math.min(el.clientWidth || 600, 900));
  const opts = {
    width,
    height: 200,
    // Days and times in UTC, as the API counts them and the page writes them: in the browser's own zone (uPlot's
    // default) a day's point at 00:00 UTC showed as the evening before west of Greenwich.
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    series: [{}, ...spec.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2 }))],
    axes: [{}, {}],
  };
  el.textContent = '';
  const plot = new window.uPlot(opts, [spec.xs, ...spec.series.map((s) => s.values)], el);
  new ResizeObserver(() => plot.setSize({ width: Math.max(240, Math.min(el.clientWidth, 900)), height: 200 })).observe(el);
  plots.set(el.id, plot);
}

window.elideCharts = {
  /** New data for the chart drawn in element `id`: [xs, ...one array per series]. */
  update(id, data) {
    const plot = plots.get(id);
    if (plot) plot.setData(data);
  },
  /** The newest x value drawn in chart `id` (seconds), or null: lets a test see that points arrived live. */
  lastX(id) {
    const xs = plots.get(id)?.data[0];
    return xs?.length ? xs[xs.length - 1] : null;
  },
};

document.addEventListener('DOMContentLoaded', () => {
  if (!window.uPlot) return;
  for (const el of document.querySelectorAll('[data-chart]')) draw(el);
});
