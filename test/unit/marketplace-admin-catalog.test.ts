// PUT /api/admin/services/:slug/listing: admins place a service as featured, premium or standard; the
// catalog's order and marks follow; everyone else is refused and bad bodies store nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type MarketplaceFixture, marketplaceFixture } from '../helpers/marketplace.ts';

describe('marketplace admin catalog placement', () => {
  let f: MarketplaceFixture;
  beforeEach(async () => {
    f = await marketplaceFixture();
  });
  afterEach(async () => f.app.close());

  const place = (slug: string, body: unknown, auth: Record<string, string>) =>
    f.app.inject({ method: 'PUT', url: `/api/admin/services/${slug}/listing`, headers: auth, payload: body as object });
  const listed = async () =>
    (await f.app.inject({ url: '/api/services?limit=100' })).json().services as { slug: string; listing: string; featured: boolean }[];

  it('an admin features a standard service: it moves to the top, marked, in the list and the detail', async () => {
    const admin = f.user('enterprise', 'admin');
    const before = await listed();
    const standard = before.find((s) => s.listing === 'standard')!;
    const res = await place(standard.slug, { listing: 'featured' }, admin.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ slug: standard.slug, listing: 'featured', featured: true, premium: true });
    const after = await listed();
    expect(after.find((s) => s.slug === standard.slug)).toMatchObject({ listing: 'featured', featured: true });
    const order = after.map((s) => s.listing);
    expect(order.indexOf('standard')).toBeGreaterThan(order.lastIndexOf('featured'));
    const detail = (await f.app.inject({ url: `/api/services/${standard.slug}` })).json();
    expect(detail).toMatchObject({ listing: 'featured', featured: true, premium: true });
    // Back to standard: the placement is the admin's latest choice.
    expect((await place(standard.slug, { listing: 'standard' }, admin.auth)).json()).toMatchObject({ featured: false, premium: false });
    expect((await listed()).find((s) => s.slug === standard.slug)?.listing).toBe('standard');
  });

  it('refuses non-admins, anonymous callers, unknown services and bad bodies, storing nothing', async () => {
    const admin = f.user('enterprise', 'admin');
    const user = f.user('team', 'publisher');
    const slug = (await listed())[0].slug;
    const cases: [unknown, Record<string, string>, number, string?][] = [
      [{ listing: 'featured' }, user.auth, 403, 'ROLE_REQUIRED'],
      [{ listing: 'featured' }, {}, 401],
      [{ listing: 'gold' }, admin.auth, 400, 'VALIDATION_FAILED'],
      [{}, admin.auth, 400, 'VALIDATION_FAILED'],
      [{ listing: 'featured', extra: 1 }, admin.auth, 400, 'VALIDATION_FAILED'],
      [{ listing: 42 }, admin.auth, 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, auth, status, code] of cases) {
      const res = await place(slug, body, auth);
      expect({ body, status: res.statusCode }).toEqual({ body, status });
      if (code) expect(res.json()).toMatchObject({ code, error: expect.any(String) });
    }
    const unknown = await place('no-such-service', { listing: 'featured' }, admin.auth);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('SERVICE_NOT_FOUND');
    expect(f.db.prepare('SELECT count(*) AS n FROM mkt_catalog_listings').get()).toEqual({ n: 0 });
  });
});
