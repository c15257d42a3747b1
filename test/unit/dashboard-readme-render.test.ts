// READMEs on the public package page: a 200 KB README built from markdown-it's slow paths costs about half a second
// to render, so rendering it on every view let one README pin the dashboard's CPU. Each text is rendered once.
import MarkdownIt from 'markdown-it';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderMarkdown } from '../../dashboard/markdown.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README rendering', () => {
  it('renders a README once however often its page is viewed', () => {
    const render = vi.spyOn(MarkdownIt.prototype, 'render');
    const readme = `# slow\n\n${'!['.repeat(100_000)}`;
    const first = renderMarkdown(readme);
    for (let i = 0; i < 20; i++) expect(renderMarkdown(readme).value).toBe(first.value);
    expect(render).toHaveBeenCalledTimes(1);
    expect(first.value).toContain('<h1>slow</h1>');
  });

  it('renders another text (a new version) afresh, and stays inert', () => {
    const render = vi.spyOn(MarkdownIt.prototype, 'render');
    const a = renderMarkdown('[x](javascript:alert(1)) <img src=x onerror=alert(2)>');
    const b = renderMarkdown('[x](https://example.test/) <b>raw</b>');
    expect(render).toHaveBeenCalledTimes(2);
    expect(a.value).not.toContain('href="javascript:');
    expect(a.value).toContain('&lt;img src=x onerror=alert(2)&gt;');
    expect(b.value).toContain('<a href="https://example.test/" rel="nofollow noopener">x</a>');
    expect(b.value).toContain('&lt;b&gt;raw&lt;/b&gt;');
  });
});
