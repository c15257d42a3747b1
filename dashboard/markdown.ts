// READMEs to HTML, inert by construction: raw HTML is disabled (markdown-it escapes it), only http(s),
// mailto and in-page links survive, and every link gets rel="nofollow noopener". Each text is rendered once.
import { createHash } from 'node:crypto';
import MarkdownIt from 'markdown-it';
import { SafeHtml } from './views.ts';

const md = new MarkdownIt({ html: false, linkify: true, typographer: false });

const ALLOWED = /^(https?:|mailto:|#)/i;
md.validateLink = (url: string) => ALLOWED.test(url.trim());

const defaultLinkOpen = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  tokens[idx].attrSet('rel', 'nofollow noopener');
  return defaultLinkOpen(tokens, idx, options, env, self);
};
// Images would load third-party content at view time (tracking, CSP noise): show their alt text as a link.
md.renderer.rules.image = (tokens, idx) => {
  const t = tokens[idx];
  const src = String(t.attrGet('src') ?? '');
  const alt = md.utils.escapeHtml(String(t.content || 'image'));
  return ALLOWED.test(src) ? `<a href="${md.utils.escapeHtml(src)}" rel="nofollow noopener">${alt}</a>` : alt;
};

// A 200 KB README built from markdown-it's slow paths ("![" or "[" repeated, long tables) takes about half a second
// to render, and the package page is public: rendering it on every view let a publisher's README pin the dashboard's
// CPU with a few requests a second. A README changes only with a new version, so each text is rendered once and
// kept, newest first, within a bound on the HTML held.
const RENDERED_MAX_CHARS = 16 * 1024 * 1024;
const rendered = new Map<string, SafeHtml>();
let renderedChars = 0;

export function renderMarkdown(text: string): SafeHtml {
  const source = text.slice(0, 200_000);
  const key = createHash('sha256').update(source).digest('base64url');
  const hit = rendered.get(key);
  if (hit) {
    rendered.delete(key);
    rendered.set(key, hit);
    return hit;
  }
  const out = new SafeHtml(md.render(source));
  rendered.set(key, out);
  renderedChars += out.value.length;
  for (const [k, v] of rendered) {
    if (renderedChars <= RENDERED_MAX_CHARS) break;
    rendered.delete(k);
    renderedChars -= v.value.length;
  }
  return out;
}
