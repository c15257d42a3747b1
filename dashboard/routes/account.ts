// Account routes: overview (plan, usage, orgs, my packages), API tokens, organization members.
import type { FastifyInstance } from 'fastify';
import { renderAccount, renderOrg, renderTokens, type TokenRow } from '../pages/account.ts';
import { act, formNumber, formText, getAs, notFoundPage, noticeOf, type RouteDeps, requireMe, seeOther, sendHtml, str } from './common.ts';

export function registerAccountRoutes(app: FastifyInstance, deps: RouteDeps) {
  const { api } = deps.peers;

  async function account(
    req: Parameters<typeof requireMe>[0],
    reply: Parameters<typeof sendHtml>[0],
    error?: string,
    status = 200,
    orgName?: string,
  ) {
    const { me } = requireMe(req);
    const scopes = [me.username, ...me.orgs.map((o) => o.name)].slice(0, 10);
    const lists = await Promise.all(
      scopes.map((s) =>
        getAs<{ results: { name: string; version: string | null }[] }>(
          api,
          req,
          `/api/packages/search?q=${encodeURIComponent(`scope:@${s}`)}&limit=50`,
        ).catch(() => undefined),
      ),
    );
    const mine = lists.flatMap((l) => l?.results ?? []);
    return sendHtml(reply, renderAccount(req.session.ctx, me, mine, noticeOf(req), error, orgName), status);
  }

  app.get('/account', async (req, reply) => account(req, reply));

  app.post('/orgs', async (req, reply) => {
    requireMe(req);
    const name = formText((req.body as Record<string, unknown>).name);
    const r = await act(api, req, '/api/orgs', { method: 'POST', body: { name } });
    if (!r.ok) return account(req, reply, r.error, r.status, name);
    if (req.session.token) deps.forgetSession(req.session.token); // /api/auth/me now lists the new org
    return seeOther(reply, `/orgs/${encodeURIComponent(name)}`, 'saved');
  });

  const listTokens = async (req: Parameters<typeof requireMe>[0]) =>
    (await getAs<{ tokens: TokenRow[] }>(api, req, '/api/auth/tokens'))?.tokens ?? [];

  app.get('/account/tokens', async (req, reply) => {
    requireMe(req);
    return sendHtml(reply, renderTokens(req.session.ctx, await listTokens(req), { notice: noticeOf(req) }));
  });

  app.post('/account/tokens', async (req, reply) => {
    requireMe(req);
    const b = req.body as Record<string, unknown>;
    const body: Record<string, unknown> = { name: formText(b.name), readonly: b.readonly === '1' };
    // Blank means "never expires"; anything else typed is sent as a number (or null) for the API to check.
    if (formText(b.expiresInDays).trim()) body.expiresInDays = formNumber(b.expiresInDays);
    const r = await act<{ name: string; token: string }>(api, req, '/api/auth/tokens', { method: 'POST', body });
    const tokens = await listTokens(req);
    // The new token is answered in this page only (never stored, never in a URL): shown once.
    if (!r.ok) {
      const form = { name: formText(b.name), expiresInDays: formText(b.expiresInDays), readonly: b.readonly === '1' };
      return sendHtml(reply, renderTokens(req.session.ctx, tokens, { error: r.error, form }), r.status);
    }
    return sendHtml(reply, renderTokens(req.session.ctx, tokens, { created: { name: r.body.name, token: r.body.token } }), 201);
  });

  app.post('/account/tokens/:id/revoke', async (req, reply) => {
    requireMe(req);
    const { id } = req.params as { id: string };
    const r = await act(api, req, `/api/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!r.ok) return sendHtml(reply, renderTokens(req.session.ctx, await listTokens(req), { error: r.error }), r.status);
    return seeOther(reply, '/account/tokens', 'token-revoked');
  });

  app.get('/orgs/:name', async (req, reply) => {
    requireMe(req);
    const name = encodeURIComponent((req.params as { name: string }).name);
    const [org, members] = await Promise.all([
      getAs<{ name: string; plan: string; role: string; memberCount: number }>(api, req, `/api/orgs/${name}`),
      getAs<{ members: { username: string; role: string; joinedAt: string }[] }>(api, req, `/api/orgs/${name}/members?limit=100`),
    ]);
    if (!org) return notFoundPage(req, reply);
    return sendHtml(reply, renderOrg(req.session.ctx, org, members?.members ?? [], { notice: noticeOf(req) }));
  });

  app.post('/orgs/:name/members', async (req, reply) => {
    requireMe(req);
    const name = encodeURIComponent((req.params as { name: string }).name);
    const b = req.body as Record<string, unknown>;
    const form = { username: str(b.username, 100), role: str(b.role, 20) || 'member' };
    const r = await act(api, req, `/api/orgs/${name}/members/${encodeURIComponent(form.username)}`, {
      method: 'PUT',
      body: { role: form.role },
    });
    if (r.ok) return seeOther(reply, `/orgs/${name}`, 'saved');
    const [org, members] = await Promise.all([
      getAs<{ name: string; plan: string; role: string; memberCount: number }>(api, req, `/api/orgs/${name}`),
      getAs<{ members: { username: string; role: string; joinedAt: string }[] }>(api, req, `/api/orgs/${name}/members?limit=100`),
    ]);
    if (!org) return notFoundPage(req, reply);
    return sendHtml(reply, renderOrg(req.session.ctx, org, members?.members ?? [], { error: r.error, form }), r.status);
  });
}
