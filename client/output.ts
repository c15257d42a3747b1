// Terminal output for both CLIs: tables, the seed's status block, colours and spinners (TTY only, never with --json).
import process from 'node:process';

export interface OutputOptions {
  json: boolean;
}

/** Colours only when stdout is a terminal, NO_COLOR is unset and the command is not in --json mode. */
export function useColour(json: boolean, stream: NodeJS.WriteStream = process.stdout): boolean {
  return !json && stream.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}

const wrap = (code: number, reset: number) => (on: boolean, s: string) => (on ? `\x1b[${code}m${s}\x1b[${reset}m` : s);
export const colour = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
};

/** Visible width: escape codes take no room on screen. */
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*m`, 'g');
const visible = (s: string) => s.replace(ANSI, '').length;

/** Exactly the sequences `colour` above writes: every other escape in output came from data. */
const OURS = new RegExp(`^${ESC}\\[(1|2|22|31|32|33|36|39)m`);
// C0 controls but tab and newline, DEL, and C1 controls (0x9b is a CSI on its own in some terminals).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Text from the server (a package's description, keywords, a vulnerability title…) is written by other users:
 * its control characters are shown as \xNN instead of reaching the terminal, where an escape sequence could clear
 * the screen, rewrite lines already printed, set the window title or (OSC 52) the clipboard. The colours this
 * module adds itself are kept, so one in the data that looks exactly like them passes too: a colour at worst.
 * Data is not cleaned as it arrives: a packument read and written back (deprecate) must keep its bytes.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c, at: number) => {
    if (c === ESC && OURS.test(text.slice(at))) return c;
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

export interface Column<T> {
  header: string;
  get: (row: T) => string;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis so one long description does not wrap the whole table. */
  max?: number;
}

export function truncate(s: string, max: number): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat;
}

/** A plain-text table: a header row, then one row per item, columns padded to the widest cell. */
export function formatTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => printable(c.max ? truncate(c.get(r), c.max) : c.get(r))));
  const widths = columns.map((c, i) => Math.max(visible(c.header), ...cells.map((row) => visible(row[i]))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        const pad = ' '.repeat(widths[i] - visible(v));
        return columns[i].align === 'right' ? pad + v : i === vals.length - 1 ? v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

export const formatInt = (n: number) => Math.round(n).toLocaleString('en-US');
/** "1 download", "1,234 downloads": a count with its noun, singular for exactly one. */
export const formatCount = (n: number, one: string, many = `${one}s`) => `${formatInt(n)} ${Math.round(n) === 1 ? one : many}`;
export const formatMoney = (dollars: number, currency = 'USD') =>
  `${currency === 'USD' ? '$' : `${currency} `}${dollars.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export interface StatusInput {
  name: string;
  status: string;
  metrics: { requests: number; errors: number; avgResponseTime: number; uptime: number };
  billing: { currentCost: number; projectedCost: number; currency?: string };
}

/** The seed README's exact `status` block. */
export function formatStatusBlock(d: StatusInput): string {
  return [
    `Deployment: ${d.name}`,
    `Status: ${d.status}`,
    'Metrics:',
    `  Requests: ${formatInt(d.metrics.requests)}`,
    `  Errors: ${formatInt(d.metrics.errors)}`,
    `  Avg Response Time: ${d.metrics.avgResponseTime}ms`,
    `  Uptime: ${d.metrics.uptime.toFixed(2)}%`,
    'Billing:',
    `  Current Cost: ${formatMoney(d.billing.currentCost, d.billing.currency)}`,
    `  Projected Cost: ${formatMoney(d.billing.projectedCost, d.billing.currency)}`,
  ].join('\n');
}

/** Key: value lines with the keys aligned. */
export function formatFields(fields: [string, string | number | null | undefined][]): string {
  const shown = fields.filter(([, v]) => v !== undefined && v !== null && v !== '');
  const w = Math.max(0, ...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${v}`).join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function print(text: string): void {
  process.stdout.write(`${printable(text)}\n`);
}

/** Progress goes to stderr so stdout stays the result; plain lines when not a terminal. */
export interface Spinner {
  update(text: string): void;
  stop(final?: string): void;
}

export function spinner(text: string, opts: { json: boolean; quiet?: boolean }): Spinner {
  const err = process.stderr;
  if (opts.json || opts.quiet) return { update() {}, stop() {} };
  if (!err.isTTY) {
    let last = '';
    const say = (t: string) => {
      if (t !== last) err.write(`${printable(t)}\n`);
      last = t;
    };
    say(text);
    return { update: say, stop: (final) => final && say(final) };
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  let current = text;
  const draw = () => err.write(`\r\x1b[2K${frames[i++ % frames.length]} ${printable(current)}`);
  draw();
  const timer = setInterval(draw, 100);
  return {
    update(t) {
      current = t;
    },
    stop(final) {
      clearInterval(timer);
      err.write('\r\x1b[2K');
      if (final) err.write(`${printable(final)}\n`);
    },
  };
}
