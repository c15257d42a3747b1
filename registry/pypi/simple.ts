// The simple repository API: PEP 503 HTML and PEP 691 JSON, with PEP 592 yanks and PEP 658 metadata under the
// PEP 714 names only. Debian 12's pip 23.0.1 crashes on JSON "dist-info-metadata" and rejects wheels whose
// METADATA name is not normalised when HTML "data-dist-info-metadata" is present (multiformat-protocols.md 1.5),
// so neither old name is ever emitted. File URLs are relative to the page URL /pypi/simple/<project>/.
import type { FileRow } from '../multiformat/files-repo.ts';

export const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
export const HTML_TYPE = 'application/vnd.pypi.simple.v1+html';

export interface IndexFile {
  filename: string;
  url: string;
  sha256: string;
  requiresPython: string | null;
  coreMetadataSha256: string | null;
  yanked: string | null;
  size: number;
  uploadTime: string;
}

export function indexFiles(project: string, rows: FileRow[]): IndexFile[] {
  return rows.map((f) => {
    const meta = JSON.parse(f.meta) as { filename: string; requiresPython: string | null; coreMetadataSha256: string | null };
    return {
      filename: meta.filename,
      url: `../../files/${project}/${encodeURIComponent(meta.filename)}`,
      sha256: f.sha256,
      requiresPython: meta.requiresPython,
      coreMetadataSha256: meta.coreMetadataSha256,
      yanked: f.yanked,
      size: f.size,
      uploadTime: f.uploaded_at,
    };
  });
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Picks JSON or HTML from the Accept header by q-value (PEP 691); HTML when nothing acceptable is named. */
export function wantsJson(accept: string | undefined, format?: string): boolean {
  if (format) return format === JSON_TYPE;
  if (!accept) return false;
  let json = -1;
  let html = -1;
  for (const part of accept.split(',')) {
    const [type, ...params] = part.trim().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const t = type.trim().toLowerCase();
    if (t === JSON_TYPE || t === 'application/vnd.pypi.simple.latest+json') json = Math.max(json, q);
    else if (t === HTML_TYPE || t === 'text/html' || t === 'application/vnd.pypi.simple.latest+html' || t === '*/*')
      html = Math.max(html, q);
  }
  return json > 0 && json > html;
}

export function projectJson(project: string, files: IndexFile[], versions: string[]) {
  return {
    meta: { 'api-version': '1.1' },
    name: project,
    versions,
    files: files.map((f) => ({
      filename: f.filename,
      url: f.url,
      hashes: { sha256: f.sha256 },
      ...(f.requiresPython ? { 'requires-python': f.requiresPython } : {}),
      ...(f.coreMetadataSha256 ? { 'core-metadata': { sha256: f.coreMetadataSha256 } } : {}),
      yanked: f.yanked === null ? false : f.yanked || true,
      size: f.size,
      'upload-time': f.uploadTime,
    })),
  };
}

export function projectHtml(project: string, files: IndexFile[]): string {
  const links = files.map((f) => {
    const attrs = [`href="${esc(f.url)}#sha256=${f.sha256}"`];
    if (f.requiresPython) attrs.push(`data-requires-python="${esc(f.requiresPython)}"`);
    if (f.coreMetadataSha256) attrs.push(`data-core-metadata="sha256=${f.coreMetadataSha256}"`);
    if (f.yanked !== null) attrs.push(`data-yanked="${esc(f.yanked)}"`);
    return `<a ${attrs.join(' ')}>${esc(f.filename)}</a><br/>`;
  });
  return `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Links for ${esc(project)}</title></head><body>
<h1>Links for ${esc(project)}</h1>
${links.join('\n')}
</body></html>
`;
}

export function rootJson(projects: string[]) {
  return { meta: { 'api-version': '1.1' }, projects: projects.map((name) => ({ name })) };
}

export function rootHtml(projects: string[]): string {
  const links = projects.map((p) => `<a href="${esc(p)}/">${esc(p)}</a><br/>`);
  return `<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.1"><title>Simple index</title></head><body>
${links.join('\n')}
</body></html>
`;
}
