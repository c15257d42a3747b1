// publish-cli login, logout, whoami and token list/create/revoke, against the main API's /api/auth routes.
import { isIP } from 'node:net';
import type { Command } from 'commander';
import { clearLogin, readLogin, saveLogin } from '../config.ts';
import { CliError, createClient, notLoggedIn, usageError } from '../http.ts';
import { colour, formatFields, formatTable, print, printJson } from '../output.ts';
import { action, type Ctx, examples } from '../program.ts';
import { ask, askHidden, confirm, isInteractive, readStdin } from '../prompt.ts';

interface LoginReply {
  userId: string;
  username: string;
  role: string;
  token: string;
  expiresAt: string | null;
}
interface Me {
  userId: string;
  username: string;
  email: string;
  role: string;
  plan: { id: string; name: string };
  tokenKind: string;
  readonly: boolean;
}
interface TokenRow {
  id: string;
  name: string;
  kind: string;
  prefix: string;
  readonly: boolean;
  cidrAllow: string[] | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
}

async function login(ctx: Ctx) {
  const opts = ctx.flags as { username?: string; passwordStdin?: boolean };
  let username = opts.username;
  let password: string;
  if (username && (opts.passwordStdin || !isInteractive())) {
    // Scripts: `printf %s "$PW" | publish-cli login --username demo`. Only the first line counts.
    password = (await readStdin()).split(/\r?\n/)[0];
  } else {
    if (!isInteractive()) throw usageError('no terminal to ask on: use --username <name> and pipe the password on stdin');
    username ??= await ask('Username: ');
    password = await askHidden('Password: ');
  }
  if (!username) throw usageError('a username is required');
  if (!password) throw usageError('a password is required');
  const r = await ctx.client.request<LoginReply>('api', '/api/auth/login', { body: { username, password }, auth: 'none' }).catch((e) => {
    if (e instanceof CliError && e.code === 'INVALID_CREDENTIALS') throw new CliError('wrong username or password', 1, e.code, e.status);
    throw e;
  });
  const file = saveLogin({
    token: r.token,
    username: r.username,
    apiUrl: ctx.client.urls.api,
    registryUrl: ctx.client.urls.registry,
    marketplaceUrl: ctx.client.urls.marketplace,
    expiresAt: r.expiresAt,
    savedAt: new Date().toISOString(),
  });
  // ELIDE_TOKEN wins over the stored login (config.ts): without a word, the next command would act as someone else.
  if (process.env.ELIDE_TOKEN) process.stderr.write('note: ELIDE_TOKEN is set and is used instead of this login until you unset it\n');
  if (ctx.json) return printJson({ username: r.username, role: r.role, expiresAt: r.expiresAt, credentialsFile: file });
  print(`Logged in as ${colour.bold(ctx.colour, r.username)} (${r.role}) on ${ctx.client.urls.api}`);
  print(colour.dim(ctx.colour, `Token saved to ${file}`));
}

async function logout(ctx: Ctx) {
  const stored = readLogin();
  if (!stored) {
    if (ctx.json) return printJson({ loggedOut: false, revoked: false });
    return print('Not logged in.');
  }
  // Revoke on the server first; a token that is already invalid is simply forgotten. The token revoked is the
  // stored one, at the server it came from: not ELIDE_TOKEN (which wins everywhere else, and may be a CI token
  // that logging out here must not kill), and not whatever --api-url names today.
  const storedOnly = createClient({ ...ctx.client.urls, api: stored.apiUrl }, { ...process.env, ELIDE_TOKEN: undefined });
  let revoked = false;
  try {
    await storedOnly.request('api', '/api/auth/logout', { method: 'POST', body: {} });
    revoked = true;
  } catch (e) {
    if (!(e instanceof CliError && e.status === 401)) throw e;
  }
  clearLogin();
  if (process.env.ELIDE_TOKEN) process.stderr.write('note: ELIDE_TOKEN is still set and still used: logout does not revoke it\n');
  if (ctx.json) return printJson({ loggedOut: true, revoked, username: stored.username });
  print(`Logged out ${stored.username}${revoked ? '' : ' (the token had already expired)'}.`);
}

async function whoami(ctx: Ctx) {
  if (!ctx.client.credential) throw notLoggedIn();
  const me = await ctx.client.request<Me>('api', '/api/auth/me');
  if (ctx.json)
    return printJson({
      userId: me.userId,
      username: me.username,
      email: me.email,
      role: me.role,
      plan: me.plan.id,
      tokenKind: me.tokenKind,
      readonly: me.readonly,
    });
  if (ctx.flags.verbose !== true) return print(me.username);
  print(
    formatFields([
      ['Username', me.username],
      ['Email', me.email],
      ['Role', me.role],
      ['Plan', me.plan.name],
      ['Credential', `${me.tokenKind}${me.readonly ? ' (read-only)' : ''}`],
    ]),
  );
}

async function tokenList(ctx: Ctx) {
  const { tokens } = await ctx.client.request<{ tokens: TokenRow[] }>('api', '/api/auth/tokens');
  if (ctx.json) return printJson({ tokens });
  if (tokens.length === 0) return print('No tokens.');
  print(
    formatTable(tokens, [
      { header: 'ID', get: (t) => t.id },
      { header: 'NAME', get: (t) => t.name, max: 30 },
      { header: 'KIND', get: (t) => t.kind },
      { header: 'TOKEN', get: (t) => t.prefix },
      { header: 'ACCESS', get: (t) => (t.readonly ? 'read-only' : 'read-write') },
      { header: 'CREATED', get: (t) => t.createdAt.slice(0, 10) },
      { header: 'LAST USED', get: (t) => t.lastUsedAt?.slice(0, 10) ?? '-' },
      { header: 'EXPIRES', get: (t) => t.expiresAt?.slice(0, 10) ?? 'never' },
    ]),
  );
}

/** An address, or an address/prefix within its family's length (the API's rule, checked before asking it). */
function isCidr(value: string): boolean {
  const [addr, prefix, ...rest] = value.split('/');
  const family = isIP(addr);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

async function tokenCreate(ctx: Ctx) {
  const o = ctx.flags as { name?: string; readonly?: boolean; expiresInDays?: string; cidr?: string[] };
  const body: Record<string, unknown> = { name: o.name ?? `cli-${new Date().toISOString().slice(0, 10)}` };
  if (o.readonly) body.readonly = true;
  if (o.expiresInDays !== undefined) {
    const n = Number(o.expiresInDays);
    if (!Number.isInteger(n) || n < 1) throw usageError('--expires-in-days must be a whole number of days, 1 or more');
    body.expiresInDays = n;
  }
  for (const c of o.cidr ?? []) if (!isCidr(c)) throw usageError(`--cidr "${c}" is not an IP address or a range such as 10.0.0.0/8`);
  if (o.cidr?.length) body.cidrAllow = o.cidr;
  const t = await ctx.client.request<TokenRow & { token: string }>('api', '/api/auth/tokens', { body });
  // The one moment a token is shown.
  if (ctx.json) return printJson(t);
  print(
    `Created token ${t.id} (${t.name}${t.readonly ? ', read-only' : ''}${t.expiresAt ? `, expires ${t.expiresAt.slice(0, 10)}` : ''}):`,
  );
  print(t.token);
  print(colour.dim(ctx.colour, 'Copy it now: it will not be shown again.'));
}

async function tokenRevoke(ctx: Ctx, id: string) {
  await confirm(`Revoke token ${id}?`, ctx.flags.yes);
  await ctx.client.request('api', `/api/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (ctx.json) return printJson({ revoked: id });
  print(`Revoked token ${id}.`);
}

export function registerAuthCommands(program: Command, cli: string) {
  examples(
    program
      .command('login')
      .description('log in and store a session token in ~/.config/elide/credentials.json (mode 0600)')
      .option('-u, --username <name>', 'user name (with no terminal, the password is read from stdin)')
      .option('--password-stdin', 'read the password from stdin even on a terminal')
      .action(action(cli, login)),
    [`${cli} login`, `printf %s "$PASSWORD" | ${cli} login --username demo`],
  );
  examples(program.command('logout').description('revoke the stored session token and forget it').action(action(cli, logout)), [
    `${cli} logout`,
  ]);
  examples(
    program
      .command('whoami')
      .description('print the logged-in user name')
      .option('-v, --verbose', 'also role, plan, email')
      .action(action(cli, whoami)),
    [`${cli} whoami`, `ELIDE_TOKEN=elk_… ${cli} whoami --json`],
  );
  const token = program.command('token').description('manage API tokens (for CI: ELIDE_TOKEN, npm, twine, mvn, gem)');
  examples(token.command('list').alias('ls').description('list your tokens (never the secrets)').action(action(cli, tokenList)), [
    `${cli} token list`,
  ]);
  examples(
    token
      .command('create')
      .description('create an API token; it is printed once')
      .option('-n, --name <name>', 'a label for the token')
      .option('--readonly', 'can read and install, cannot publish or change anything')
      .option('--expires-in-days <days>', 'expire after this many days')
      .option('--cidr <range...>', 'only accept the token from these address ranges')
      .action(action(cli, tokenCreate)),
    [`${cli} token create --name ci --readonly`, `${cli} token create --name deploy --expires-in-days 30 --json`],
  );
  examples(token.command('revoke <id>').description('revoke a token by its id').action(action(cli, tokenRevoke)), [
    `${cli} token revoke tok-abc123 --yes`,
  ]);
}
