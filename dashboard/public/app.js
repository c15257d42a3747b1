// Dashboard behaviour, all from this served file (the CSP forbids inline scripts): copy buttons, live
// deployment status, timeline and metric charts by polling, and inline validation messages on forms marked
// data-validate.

function onCopy(ev) {
  const btn = ev.currentTarget;
  const el = document.getElementById(btn.getAttribute('data-copy'));
  if (!el) return;
  const text = el.textContent || '';
  const done = () => {
    btn.textContent = 'Copied';
    btn.setAttribute('aria-live', 'polite');
  };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => selectText(el));
  else {
    selectText(el);
    try {
      document.execCommand('copy');
      done();
    } catch {
      // the text stays selected for a manual copy
    }
  }
}

function selectText(el) {
  const range = document.createRange();
  range.selectNodeContents(el);
  const sel = window.getSelection();
  sel.removeAllRanges();
  sel.addRange(range);
}

// The same formats as the server's views.ts (money, num): a live update never changes how a number is written.
const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const money = (n) => USD.format(Number(n) + 0);
const num = (n) => Number(n).toLocaleString('en-US');

// A status change on a deployment's page changes what may be done next (the actions offered, the operation
// shown, instances and tier): those parts are taken from a fresh copy of the page, without a reload, unless
// the user is typing in one of them.
async function refreshParts() {
  try {
    const r = await fetch(location.pathname + location.search, { credentials: 'same-origin' });
    if (!r.ok) return;
    const fresh = new DOMParser().parseFromString(await r.text(), 'text/html');
    for (const now of document.querySelectorAll('[data-refresh]')) {
      const next = fresh.querySelector(`[data-refresh="${CSS.escape(now.getAttribute('data-refresh'))}"]`);
      if (next && !now.contains(document.activeElement)) now.replaceWith(document.importNode(next, true));
    }
  } catch {
    // the next status change tries again; a reload shows everything meanwhile
  }
}

function poll(url) {
  let timer = 0;
  const shown = new Map();
  for (const el of document.querySelectorAll('[data-status-of]')) shown.set(el.getAttribute('data-status-of'), el.textContent);
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (r.ok) {
        const { deployments } = await r.json();
        for (const d of deployments) {
          if (shown.has(d.id) && shown.get(d.id) !== d.status && document.querySelector('[data-refresh]')) await refreshParts();
          shown.set(d.id, d.status);
          for (const el of document.querySelectorAll(`[data-status-of="${CSS.escape(d.id)}"]`)) {
            if (el.textContent !== d.status) {
              el.textContent = d.status;
              el.className = `status status-${d.status}`;
            }
          }
          for (const el of document.querySelectorAll(`[data-cost-of="${CSS.escape(d.id)}"]`)) el.textContent = money(d.currentCost);
          const set = (id, v) => {
            const el = document.getElementById(id);
            if (el) el.textContent = v;
          };
          if (deployments.length === 1) {
            set('current-cost', money(d.currentCost));
            set('projected-cost', money(d.projectedCost));
            set('metric-requests', num(d.requests));
            set('metric-uptime', `${d.uptime}%`);
          }
        }
      }
    } catch {
      // a missed poll is retried on the next tick
    }
    timer = window.setTimeout(tick, document.hidden ? 10000 : 2000);
  };
  timer = window.setTimeout(tick, 1000);
  return () => window.clearTimeout(timer);
}

function validate(form) {
  let first = null;
  for (const el of form.querySelectorAll('input, select')) {
    if (el.type === 'hidden') continue;
    const id = `live-err-${el.name}`;
    let msg = document.getElementById(id);
    if (el.checkValidity()) {
      if (msg) msg.remove();
      el.removeAttribute('aria-invalid');
      continue;
    }
    if (!msg) {
      msg = document.createElement('span');
      msg.id = id;
      msg.className = 'field-error';
      el.insertAdjacentElement('afterend', msg);
    }
    msg.textContent = el.validationMessage;
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', id);
    first = first || el;
  }
  if (first) first.focus();
  return !first;
}

function tailLogs(pre) {
  const url = pre.getAttribute('data-logs');
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (r.ok) {
        const { lines } = await r.json();
        const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
        pre.textContent = lines.map((l) => `${l}\n`).join('');
        if (atBottom) pre.scrollTop = pre.scrollHeight;
      }
    } catch {
      // retried on the next tick
    }
    window.setTimeout(tick, document.hidden ? 15000 : 5000);
  };
  window.setTimeout(tick, 5000);
}

/** The deployment page's timeline and charts, rebuilt from activity.json (text only: never markup). */
function followActivity(list) {
  const url = list.getAttribute('data-activity');
  let shown = list.children.length;
  const tick = async () => {
    try {
      const r = await fetch(url, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
      if (r.ok) {
        const a = await r.json();
        if (a.events.length !== shown) {
          const items = a.events.map((e) => {
            const li = document.createElement('li');
            const time = document.createElement('time');
            time.textContent = e.when;
            const to = document.createElement('strong');
            to.textContent = e.to;
            li.append(time, ` ${e.from} → `, to);
            if (e.reason) {
              const why = document.createElement('span');
              why.className = 'muted';
              why.textContent = `(${e.reason})`;
              li.append(' ', why);
            }
            return li;
          });
          list.replaceChildren(...items);
          shown = a.events.length;
        }
        if (window.elideCharts && a.xs.length) {
          window.elideCharts.update('chart-requests', [a.xs, a.requests, a.errors]);
          window.elideCharts.update('chart-latency', [a.xs, a.average, a.p95]);
          const empty = document.getElementById('series-empty');
          if (empty) empty.hidden = true;
        }
      }
    } catch {
      // retried on the next tick
    }
    window.setTimeout(tick, document.hidden ? 15000 : 3000);
  };
  window.setTimeout(tick, 3000);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const b of document.querySelectorAll('button[data-copy]')) b.addEventListener('click', onCopy);
  const live = document.querySelector('[data-live]') || document.querySelector('[data-live-one]');
  if (live) poll(live.getAttribute('data-live') || live.getAttribute('data-live-one'));
  const logs = document.querySelector('pre[data-logs]');
  if (logs) tailLogs(logs);
  const timeline = document.querySelector('ol[data-activity]');
  if (timeline) followActivity(timeline);
  for (const f of document.querySelectorAll('form[data-validate]')) {
    f.addEventListener('submit', (ev) => {
      if (!validate(f)) ev.preventDefault();
    });
  }
});
