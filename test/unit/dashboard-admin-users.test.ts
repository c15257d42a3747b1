// The admin's user list shows one batch of 50 (no pager): when there are more users, the page says how many are
// shown and how to reach the others, instead of a total that does not match the rows.
import { describe, expect, it } from 'vitest';
import { type AdminUser, renderAdmin } from '../../dashboard/pages/admin.ts';

const user = (n: number): AdminUser => ({
  id: `user-${n}`,
  username: `user${n}`,
  email: `user${n}@x.test`,
  role: 'user',
  plan: 'free',
  disabled: false,
  createdAt: '2026-01-01T00:00:00Z',
});
const ctx = { csrf: 'x', user: { userId: 'admin-1', username: 'admin', role: 'admin' } };

describe('admin user list', () => {
  it('says only the first batch is shown when the total is larger', () => {
    const page = renderAdmin(ctx, { q: '', users: [user(1), user(2)], total: 120 });
    expect(page).toContain('<p class="muted">120 users: the first 2 are shown, search by name or email to find the others</p>');
  });

  it('just the count when every user is listed', () => {
    const page = renderAdmin(ctx, { q: '', users: [user(1)], total: 1 });
    expect(page).toContain('<p class="muted">1 user</p>');
  });
});
