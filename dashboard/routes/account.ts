// Account routes: overview (plan, usage, orgs, my packages), API tokens, activity (audit log), organization
// members (add, change, remove, leave).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderAccount, renderOrg, renderTokens, type TokenRow } from '../pages/account.ts';
import { type AuditEntry, renderActivity } from '../pages/activity.ts';
import {
  act,
  formNumber,
  formText,
  getAs,
  notFoundPage,
  noticeOf,
  type RouteDeps,
  requireMe,
  seeOther,
  sendHtml,
  str,
  visitorHeaders,
} from './common.ts';

/** Audit entries per page of /account/activity (the API allows up to 100). */
const ACTIVITY_PAGE_SIZE = 50;

type OrgPageOptions = NonNullable<Parameters<typeof renderOrg>[3]>;

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
    const r = await act<{ name: string; token: string }>(api, req, '/api/auth/tokens', {
      method: 'POST',
      body,
      headers: visitorHeaders(deps, req),
    });
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

  app.get('/account/activity', async (req, reply) => {
    const { me } = requireMe(req);
    const q = req.query as Record<string, unknown>;
    // The filter is sent as typed: an over-long or malformed one is refused by the API with its message.
    const action = formText(q.action).trim();
    const page = Math.min(Math.max(Math.trunc(Number(q.page)) || 1, 1), 10_000);
    const params = new URLSearchParams({ limit: String(ACTIVITY_PAGE_SIZE), offset: String((page - 1) * ACTIVITY_PAGE_SIZE) });
    if (action) params.set('action', action);
    // The API answers an admin every user's entries. This page is the signed-in user's own log for everyone
    // (no cross-user view here), so an admin's is narrowed to the entries they did.
    if (me.role === 'admin') params.set('actor', me.username);
    const r = await act<{ entries: AuditEntry[]; total: number }>(api, req, `/api/audit?${params}`);
    const view = { entries: r.ok ? r.body.entries : [], total: r.ok ? r.body.total : 0, page, pageSize: ACTIVITY_PAGE_SIZE, action };
    return sendHtml(reply, renderActivity(req.session.ctx, { ...view, error: r.error }), r.ok ? 200 : r.status);
  });

  /** The org page: its members, and the add form, with a notice or a refusal (`name` already URL-encoded). */
  async function orgPage(req: FastifyRequest, reply: FastifyReply, name: string, o: OrgPageOptions = {}, status = 200) {
    const [org, members] = await Promise.all([
      getAs<{ name: string; plan: string; role: string | null; memberCount: number }>(api, req, `/api/orgs/${name}`),
      getAs<{ members: { username: string; role: string; joinedAt: string }[] }>(api, req, `/api/orgs/${name}/members?limit=100`),
    ]);
    if (!org) return notFoundPage(req, reply);
    return sendHtml(reply, renderOrg(req.session.ctx, org, members?.members ?? [], o), status);
  }
  const orgOf = (req: FastifyRequest) => encodeURIComponent((req.params as { name: string }).name);

  app.get('/orgs/:name', async (req, reply) => {
    requireMe(req);
    return orgPage(req, reply, orgOf(req), { notice: noticeOf(req) });
  });

  app.post('/orgs/:name/members', async (req, reply) => {
    requireMe(req);
    const name = orgOf(req);
    const b = req.body as Record<string, unknown>;
    const form = { username: str(b.username, 100), role: str(b.role, 20) || 'member' };
    const r = await act(api, req, `/api/orgs/${name}/members/${encodeURIComponent(form.username)}`, {
      method: 'PUT',
      body: { role: form.role },
    });
    if (r.ok) return seeOther(reply, `/orgs/${name}`, 'saved');
    return orgPage(req, reply, name, { error: r.error, form }, r.status);
  });

  /** After leaving (or removing oneself) the org page is gone for this user, and /api/auth/me lists one org less. */
  function left(req: FastifyRequest, reply: FastifyReply) {
    if (req.session.token) deps.forgetSession(req.session.token);
    return seeOther(reply, '/account', 'org-left');
  }

  // Removing and leaving cost the member their access to the org's private packages: like a restore, one stray
  // click must not do it. The box is required in the form; a post without it is refused here, nothing sent.
  app.post('/orgs/:name/members/:username/remove', async (req, reply) => {
    const { me } = requireMe(req);
    const name = orgOf(req);
    const username = (req.params as { username: string }).username;
    if ((req.body as Record<string, unknown>).confirm !== '1')
      return orgPage(req, reply, name, { error: `Tick the box next to ${username} to remove them: nothing was changed.` }, 400);
    const r = await act(api, req, `/api/orgs/${name}/members/${encodeURIComponent(username)}`, { method: 'DELETE' });
    if (!r.ok) return orgPage(req, reply, name, { error: r.error }, r.status);
    if (username.toLowerCase() === me.username) return left(req, reply);
    return seeOther(reply, `/orgs/${name}`, 'member-removed');
  });

  app.post('/orgs/:name/leave', async (req, reply) => {
    requireMe(req);
    const name = orgOf(req);
    if ((req.body as Record<string, unknown>).confirm !== '1')
      return orgPage(req, reply, name, { error: 'Tick the box to leave the organization: nothing was changed.' }, 400);
    const r = await act(api, req, `/api/orgs/${name}/leave`, { method: 'POST' });
    if (!r.ok) return orgPage(req, reply, name, { error: r.error }, r.status);
    return left(req, reply);
  });
}
