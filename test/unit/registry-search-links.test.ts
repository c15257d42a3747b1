// npm search's package.links (homepage, repository, bugs) from the latest manifest, as package.json writes them;
// only http(s) links, since a client may render them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestLinks } from '../../registry/npm/manifest-links.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

describe('manifest links', () => {
  it('reads strings and {url} objects, npm shorthands and git URLs as the repository page', () => {
    for (const repository of [
      'git+https://github.com/acme/widget.git',
      'git://github.com/acme/widget.git',
      'git@github.com:acme/widget.git',
      'github:acme/widget',
      'acme/widget',
      { type: 'git', url: 'git+ssh://git@github.com/acme/widget.git' },
    ])
      expect(manifestLinks({ repository }).repository, JSON.stringify(repository)).toBe('https://github.com/acme/widget');
    expect(manifestLinks({ repository: 'gitlab:acme/widget' }).repository).toBe('https://gitlab.com/acme/widget');
    expect(manifestLinks({ homepage: 'https://widget.example/', bugs: { url: 'https://github.com/acme/widget/issues' } })).toEqual({
      homepage: 'https://widget.example/',
      bugs: 'https://github.com/acme/widget/issues',
    });
  });
  it('leaves out what is not an http(s) link', () => {
    expect(manifestLinks({ homepage: 'javascript:alert(1)', bugs: 'mailto:bugs@acme.test', repository: 42 })).toEqual({});
    expect(manifestLinks({})).toEqual({});
  });
});

describe('npm search links', () => {
  let r: Awaited<ReturnType<typeof buildTestRegistry>>;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  it('shows the latest version links', async () => {
    const pkg = {
      homepage: 'https://widget.example',
      repository: { type: 'git', url: 'git+https://github.com/acme/widget.git' },
      bugs: 'https://github.com/acme/widget/issues',
    };
    const put = await r.app.inject({
      method: 'PUT',
      url: docPath('widget-links'),
      headers: { 'content-type': 'application/json', ...bearer(r.alice) },
      payload: JSON.stringify(publishBody('widget-links', '1.0.0', { pkg })),
    });
    expect(put.statusCode).toBe(201);
    const res = await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=widget-links' });
    expect(res.json().objects[0].package.links).toEqual({
      homepage: 'https://widget.example/',
      repository: 'https://github.com/acme/widget',
      bugs: 'https://github.com/acme/widget/issues',
    });
  });
});
