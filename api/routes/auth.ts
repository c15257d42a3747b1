// HTTP glue for /api/auth/*: register, login, logout, me, password change and API tokens.
import { z } from 'zod';
import type { TypedApp } from '../../lib/service-app.ts';
import type { IdentityContext, UsageName } from '../identity-context.ts';
import { CidrSchema, limitToParent } from '../tokens.ts';
import { EmailSchema, NewUsernameSchema, PasswordSchema } from '../users.ts';

const RegisterBody = z.strictObject({ username: NewUsernameSchema, email: EmailSchema, password: PasswordSchema });
// Login accepts any string up to the limits: the rules for new names must not lock out older accounts. No user name
// has spaces, so those around it (a form's autofill, a pasted name) are dropped rather than answered with a 401.
const LoginBody = z.strictObject({ username: z.string().trim().min(1).max(214), password: z.string().min(1).max(1024) });
const SessionReply = z.object({
  userId: z.string(),
  username: z.string(),
  role: z.string(),
  token: z.string(),
  expiresAt: z.string(),
});
const PasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(1024), newPassword: PasswordSchema });
const CreateTokenBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresInDays: z.number().int().min(1).max(3650).optional(),
  readonly: z.boolean().optional(),
  cidrAllow: z.array(CidrSchema).max(20).optional(),
});
const TokenFields = {
  id: z.string(),
  name: z.string(),
  kind: z.enum(['session', 'api']),
  prefix: z.string(),
  readonly: z.boolean(),
  cidrAllow: z.array(z.string()).nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
};
const TokenIdParams = z.strictObject({ id: z.string().min(1).max(64) });
const Success = z.object({ success: z.literal(true) });
const PlanReply = z.object({
  id: z.string(),
  name: z.string(),
  priceCents: z.number().nullable(),
  maxActiveDeployments: z.number().nullable(),
  privatePackages: z.boolean(),
  webhooks: z.boolean(),
  limits: z.object({ activeDeployments: z.number().nullable(), webhooks: z.boolean(), privatePackages: z.boolean() }),
});
const MeReply = z.object({
  userId: z.string(),
  username: z.string(),
  email: z.string(),
  role: z.string(),
  plan: PlanReply,
  usage: z.object({
    activeDeployments: z.number().nullable(),
    webhooks: z.number().nullable(),
    privatePackages: z.number().nullable(),
    storageBytes: z.number().nullable(),
    apiTokens: z.number(),
    orgs: z.number(),
  }),
  orgs: z.array(z.object({ name: z.string(), role: z.string() })),
  tokenId: z.string(),
  tokenKind: z.enum(['session', 'api']),
  readonly: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function registerAuthRoutes(app: TypedApp, ctx: IdentityContext) {
  const { guards } = ctx;

  // Anonymous routes: `security: []` lifts the document-wide bearer requirement in the OpenAPI description.
  app.post('/api/auth/register', { schema: { body: RegisterBody, response: { 201: SessionReply }, security: [] } }, async (req, reply) => {
    const r = ctx.accounts.register(req.body, ctx.origin(req));
    return reply.status(201).send(r);
  });

  app.post(
    '/api/auth/login',
    { schema: { body: LoginBody, response: { 200: SessionReply }, security: [] } },
    async (req) => await ctx.accounts.login(req.body, ctx.origin(req)),
  );

  app.post('/api/auth/logout', { schema: { response: { 200: Success } } }, async (req) => {
    ctx.accounts.logout(guards.required(req), ctx.origin(req));
    return { success: true as const };
  });

  app.post(
    '/api/auth/password',
    { schema: { body: PasswordBody, response: { 200: z.object({ success: z.literal(true), revokedTokens: z.number() }) } } },
    async (req) => {
      const r = await ctx.accounts.changePassword(guards.writer(req), req.body, ctx.origin(req));
      return { success: true as const, revokedTokens: r.revokedTokens };
    },
  );

  app.get('/api/auth/me', { schema: { response: { 200: MeReply } } }, async (req) => {
    const p = guards.required(req);
    const plan = ctx.identity.planOf(p.userId)!;
    const orgs = ctx.identity.orgsOf(p.userId);
    const user = ctx.identity.userById(p.userId)!;
    const usage = async (name: UsageName) => {
      const source = ctx.usageSources[name];
      if (!source) return null;
      // A peer that does not answer leaves the figure unknown rather than failing the whole page.
      const v = await Promise.resolve(source(p.userId)).catch(() => undefined);
      return typeof v === 'number' ? v : null;
    };
    // In parallel: each peer has its own deadline, and the page should wait for the slowest, not their sum.
    const [activeDeployments, webhooks, privatePackages, storageBytes] = await Promise.all(
      (['activeDeployments', 'webhooks', 'privatePackages', 'storageBytes'] as const).map(usage),
    );
    return {
      userId: p.userId,
      username: p.username,
      email: p.email,
      role: p.role,
      plan: {
        ...plan,
        limits: { activeDeployments: plan.maxActiveDeployments, webhooks: plan.webhooks, privatePackages: plan.privatePackages },
      },
      usage: {
        activeDeployments,
        webhooks,
        privatePackages,
        storageBytes,
        apiTokens: ctx.tokens.list(p.userId).filter((t) => t.kind === 'api').length,
        orgs: orgs.length,
      },
      orgs,
      tokenId: p.tokenId,
      tokenKind: p.tokenKind,
      readonly: p.readonly,
      createdAt: user.createdAt,
      updatedAt: user.updatedAt,
    };
  });

  app.post(
    '/api/auth/tokens',
    { schema: { body: CreateTokenBody, response: { 201: z.object({ ...TokenFields, token: z.string() }) } } },
    async (req, reply) => {
      const p = guards.writer(req);
      const origin = ctx.origin(req);
      ctx.limiter.enforce([
        [ctx.limits.tokenCreatePerUser, p.userId],
        [ctx.limits.tokenCreatePerIp, origin.ip ?? 'unknown'],
      ]);
      const { name, expiresInDays, readonly } = req.body;
      const { expiresAt, cidrAllow } = limitToParent(ctx.tokens.parentOf(p.userId, p.tokenId), {
        expiresAt: expiresInDays ? new Date(ctx.deps.clock.now() + expiresInDays * 86_400_000).toISOString() : null,
        cidrAllow: req.body.cidrAllow,
      });
      const t = ctx.tokens.createApiToken({ userId: p.userId, name, expiresAt, readonly, cidrAllow, ip: origin.ip }, (created) =>
        ctx.audit.record({
          actorId: p.userId,
          actorUsername: p.username,
          action: 'token.create',
          target: created.id,
          ...origin,
          details: { name, readonly: created.readonly, expiresAt, cidrAllow: created.cidrAllow },
        }),
      );
      return reply.status(201).send(t);
    },
  );

  app.get('/api/auth/tokens', { schema: { response: { 200: z.object({ tokens: z.array(z.object(TokenFields)) }) } } }, async (req) => {
    const p = guards.required(req);
    return { tokens: ctx.tokens.list(p.userId) };
  });

  app.delete('/api/auth/tokens/:id', { schema: { params: TokenIdParams, response: { 200: Success } } }, async (req) => {
    const p = guards.writer(req);
    const origin = ctx.origin(req);
    ctx.tokens.revoke(p.userId, req.params.id, (t) =>
      ctx.audit.record({
        actorId: p.userId,
        actorUsername: p.username,
        action: 'token.revoke',
        target: t.id,
        ...origin,
        details: { name: t.name },
      }),
    );
    return { success: true as const };
  });
}
