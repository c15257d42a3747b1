// How the supervisor shows a child's log line: prefixed with the process name, and on a terminal as one readable
// line (time, level, message, request id, method and path or status, and the error's message when there is one).
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

interface PinoLine {
  level: number;
  time: number;
  msg?: string;
  reqId?: string;
  req?: { method: string; path: string };
  res?: { statusCode: number };
  err?: { type?: string; message?: string; code?: string };
}

export function formatLogLine(name: string, line: string, opts: { pretty: boolean; width: number }): string {
  const prefix = `[${name.padEnd(opts.width)}]`;
  if (!opts.pretty) return `${prefix} ${line}`;
  let j: PinoLine;
  try {
    j = JSON.parse(line) as PinoLine;
    if (typeof j !== 'object' || j === null || typeof j.level !== 'number') return `${prefix} ${line}`;
  } catch {
    return `${prefix} ${line}`;
  }
  const t = new Date(j.time).toISOString().slice(11, 19);
  const extra = j.req ? ` ${j.req.method} ${j.req.path}` : j.res ? ` -> ${j.res.statusCode}` : '';
  // The request id ties the lines of one request together, across processes too (x-request-id is forwarded).
  const id = j.reqId ? ` (${j.reqId})` : '';
  // Without it an error line on a terminal said only "request failed", and the cause was in the JSON alone.
  const err = j.err?.message ? `: ${j.err.code ? `${j.err.code} ` : ''}${j.err.message}` : '';
  return `${prefix} ${t} ${LEVELS[j.level] ?? j.level} ${j.msg ?? ''}${extra}${err}${id}`;
}
