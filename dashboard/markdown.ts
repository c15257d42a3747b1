// READMEs to HTML, inert by construction: raw HTML is disabled (markdown-it escapes it), only http(s),
// mailto and in-page links survive, and every link gets rel="nofollow noopener".
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

export function renderMarkdown(text: string): SafeHtml {
  return new SafeHtml(md.render(text.slice(0, 200_000)));
}
