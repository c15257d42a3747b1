// Downloads of every ecosystem reach the main API's analytics: the registry's download counter relays PyPI (and
// Maven, RubyGems) counts as package.downloaded under "<ecosystem>:<name>", as it does npm's under the name.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { basic, makeWheel, uploadForm } from '../fixtures/pypi/pypi-fixtures.ts';
import { bearer, buildTestRegistry, docPath, publishBody } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;

describe('download relay of a PyPI project', () => {
  let r: Reg;
  beforeEach(async () => {
    r = await buildTestRegistry();
  });
  afterEach(async () => r.app.close());

  const downloadedEvents = () =>
    (r.db.prepare("SELECT payload FROM outbox WHERE type = 'package.downloaded'").all() as { payload: string }[]).map((e) =>
      JSON.parse(e.payload),
    );

  it('relays GETs and 304 revalidations (not HEADs) as one aggregated event named pypi:<normalized name>', async () => {
    const wheel = makeWheel('Dl_Relay', '1.0.0');
    const f = uploadForm(wheel, 'Dl_Relay', '1.0.0');
    const up = await r.app.inject({
      method: 'POST',
      url: '/pypi/legacy/',
      headers: { ...f.headers, ...basic('alice', r.alice.token) },
      payload: f.payload,
    });
    expect(up.statusCode).toBe(200);
    const url = `/pypi/files/dl-relay/${wheel.filename}`;
    const first = await r.app.inject({ method: 'GET', url });
    expect(first.statusCode).toBe(200);
    const again = await r.app.inject({ method: 'GET', url, headers: { 'if-none-match': first.headers.etag as string } });
    expect(again.statusCode).toBe(304);
    expect((await r.app.inject({ method: 'HEAD', url })).statusCode).toBe(200);
    // npm's search flushes the counter before it reads counts (the counter otherwise writes once a second).
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=x' })).statusCode).toBe(200);
    const events = downloadedEvents();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject: 'package:pypi:dl-relay',
      data: { ecosystem: 'pypi', name: 'dl-relay', count: 2, day: '2026-11-26', packageId: expect.stringMatching(/^pkg-\d+$/) },
    });
  });

  it('states the package’s access in every relayed count (npm’s publish event does not), for a scoped npm package', async () => {
    const name = '@acme/hidden';
    const put = await r.app.inject({
      method: 'PUT',
      url: docPath(name),
      headers: { ...bearer(r.alice), 'content-type': 'application/json' },
      payload: JSON.stringify(publishBody(name, '1.0.0', { access: 'restricted' })),
    });
    expect(put.statusCode).toBe(201);
    const tgz = await r.app.inject({ method: 'GET', url: `/npm/${name}/-/hidden-1.0.0.tgz`, headers: bearer(r.alice) });
    expect(tgz.statusCode).toBe(200);
    expect((await r.app.inject({ method: 'GET', url: '/npm/-/v1/search?text=x' })).statusCode).toBe(200);
    expect(downloadedEvents()).toEqual([
      expect.objectContaining({
        subject: `package:${name}`,
        data: expect.objectContaining({ ecosystem: 'npm', name, count: 1, access: 'restricted' }),
      }),
    ]);
  });
});
