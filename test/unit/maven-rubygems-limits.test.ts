// Over-size Maven PUTs and gem pushes are refused with 413 before anything is stored, with the sentence in the
// reason phrase (Maven prints it) and in the body text (gem prints it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildTestRegistry } from '../helpers/npm-fixtures.ts';

type Reg = Awaited<ReturnType<typeof buildTestRegistry>>;
const fileCount = (r: Reg) => (r.db.prepare('SELECT count(*) AS n FROM artifact_files').get() as { n: number }).n;

describe('upload size limits (BODY_LIMIT_MB=1)', () => {
  let r: Reg;
  const big = Buffer.alloc(1024 * 1024 + 100, 7);
  beforeEach(async () => {
    r = await buildTestRegistry({ BODY_LIMIT_MB: '1' });
  });
  afterEach(async () => r.app.close());

  it('Maven: 413 "File too large. Limit is 1 MB."', async () => {
    const res = await r.app.inject({
      method: 'PUT',
      url: '/maven2/com/example/big/1.0.0/big-1.0.0.jar',
      headers: { authorization: `Basic ${Buffer.from(`alice:${r.alice.token}`).toString('base64')}` },
      payload: big,
    });
    expect(res.statusCode).toBe(413);
    expect(res.raw.res.statusMessage).toBe('File too large. Limit is 1 MB.');
    expect(fileCount(r)).toBe(0);
  });

  it('RubyGems: 413 with the sentence as the body gem prints', async () => {
    const res = await r.app.inject({
      method: 'POST',
      url: '/rubygems/api/v1/gems',
      headers: { authorization: r.alice.token, 'content-type': 'application/octet-stream' },
      payload: big,
    });
    expect(res.statusCode).toBe(413);
    expect(res.body).toBe('File too large. Limit is 1 MB.\n');
    expect(fileCount(r)).toBe(0);
  });
});
