// Table-driven bad-input cases (reliability-security.md catalogue (a)): each case is a request, the documented
// status and error code, and the names that must not exist afterwards. runCase() also checks the registry's
// row and blob counts did not move, so "nothing persisted" is asserted for every case.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface BadCase {
  id: string;
  what: string;
  method?: string;
  /** Path on the target process, or a full URL. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
  status: number | number[];
  /** Expected `code` of the JSON error body (a RegExp for protocols that answer text). */
  code?: string | RegExp;
  /** npm package names that must not exist after the case. */
  absent?: string[];
}

export interface Persisted {
  rows: number;
  blobFiles: number;
}

function countFiles(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : e.isFile() ? 1 : 0;
  return n;
}

/** Rows of every registry table a publish writes, and the blob files on disk. */
export function persisted(dataDir: string): Persisted {
  const db = new Database(path.join(dataDir, 'registry.db'), { readonly: true, timeout: 10_000 });
  try {
    let rows = 0;
    // outbox is left out: its rows are deleted asynchronously once relayed to the main API.
    for (const t of ['packages', 'package_versions', 'blobs', 'burned_versions', 'artifact_files', 'burned_files']) {
      try {
        rows += (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
      } catch {
        // table absent in this build
      }
    }
    return { rows, blobFiles: countFiles(path.join(dataDir, 'blobs', 'sha512')) };
  } finally {
    db.close();
  }
}

/** Pseudo status: the server closed the socket while the request body was still being sent. */
export const CLOSED_WHILE_SENDING = -1;

export interface CaseResult {
  status: number;
  body: string;
  json?: { error?: string; code?: string };
}

export async function send(base: string, c: BadCase): Promise<CaseResult> {
  const url = /^https?:/.test(c.path) ? c.path : `${base}${c.path}`;
  const attempt = () =>
    fetch(url, { method: c.method ?? 'GET', headers: c.headers, body: c.body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  // One retry when a pooled keep-alive socket was closed by the server just as the request went out (an
  // undici race on an idle connection, before the server read anything): npm retries the same way.
  let res: Response;
  try {
    res = await attempt().catch((err: Error & { cause?: { code?: string } }) => {
      if (err.cause?.code === 'UND_ERR_SOCKET') return attempt();
      throw err;
    });
  } catch (err) {
    // An oversize body may be refused (413) and the socket closed before the client finished writing it: the
    // client then sees EPIPE/ECONNRESET instead of the answer. That counts as a refusal only where 413 is expected.
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code === 'EPIPE' || code === 'ECONNRESET')
      return { status: CLOSED_WHILE_SENDING, body: `connection closed while sending (${code})` };
    throw err;
  }
  const body = await res.text();
  let json: CaseResult['json'];
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: res.status, body, json };
}

/** Describe the mismatch (empty when the case passed) so a table failure names every broken row. */
export function verdict(c: BadCase, r: CaseResult): string[] {
  const problems: string[] = [];
  const statuses = Array.isArray(c.status) ? c.status : [c.status];
  const closedOk = r.status === CLOSED_WHILE_SENDING && statuses.includes(413);
  if (!closedOk && !statuses.includes(r.status))
    problems.push(`status ${r.status} (expected ${statuses.join('|')}): ${r.body.slice(0, 200)}`);
  if (typeof c.code === 'string' && r.json?.code !== c.code) problems.push(`code ${r.json?.code} (expected ${c.code})`);
  if (c.code instanceof RegExp && !c.code.test(r.body)) problems.push(`body ${r.body.slice(0, 200)} does not match ${c.code}`);
  if (r.status >= 400 && r.json && typeof r.json.error !== 'string') problems.push('error body has no "error" sentence');
  if (r.status >= 500) problems.push('5xx');
  return problems;
}

/** The AppError a synchronous call throws, as {status, code, error}; fails the test when it does not throw. */
export function refusal(fn: () => unknown): { status: number; code: string; error: string } {
  try {
    fn();
  } catch (e) {
    const err = e as { statusCode: number; code: string; message: string };
    return { status: err.statusCode, code: err.code, error: err.message };
  }
  throw new Error('did not throw');
}
