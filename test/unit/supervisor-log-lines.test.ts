// The supervisor's terminal view of a child's pino line: an operator must see the error's cause and the request id
// without switching to the raw JSON.
import { describe, expect, it } from 'vitest';
import { formatLogLine } from '../../scripts/log-lines.ts';

const opts = { pretty: true, width: 8 };
const time = Date.UTC(2026, 10, 27, 19, 45, 1);

describe('formatLogLine', () => {
  it('keeps the error message of an error line', () => {
    const line = JSON.stringify({
      level: 50,
      time,
      reqId: 'req-1',
      err: { type: 'SqliteError', code: 'SQLITE_IOERR', message: 'disk I/O error' },
      msg: 'request failed',
    });
    expect(formatLogLine('registry', line, opts)).toBe('[registry] 19:45:01 error request failed: SQLITE_IOERR disk I/O error (req-1)');
  });

  it('shows the request id on request lines, so the lines of one request can be found across processes', () => {
    const line = JSON.stringify({ level: 30, time, reqId: 'abc', req: { method: 'GET', path: '/npm/x' }, msg: 'incoming request' });
    expect(formatLogLine('api', line, opts)).toBe('[api     ] 19:45:01 info incoming request GET /npm/x (abc)');
  });

  it('passes plain text and non-pino JSON through, and everything through when not on a terminal', () => {
    expect(formatLogLine('api', 'api: cannot listen on 127.0.0.1:3000', opts)).toBe('[api     ] api: cannot listen on 127.0.0.1:3000');
    expect(formatLogLine('api', '42', opts)).toBe('[api     ] 42');
    expect(formatLogLine('api', '{"level":30}', { pretty: false, width: 3 })).toBe('[api] {"level":30}');
  });
});
