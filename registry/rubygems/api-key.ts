// `gem signin` (RubyGems 3.3 `Gem::GemcutterUtilities#sign_in`): POST <host>/api/v1/api_key with Basic auth of the
// e-mail (or handle) and password the user typed, and a form of the key's name and the scopes answered yes
// (index_rubygems, push_rubygem, yank_rubygem, add_owner, remove_owner, ...). rubygems.org answers the new key as
// plain text and gem stores it in ~/.gem/credentials for that host. Here the key is an API token of the main API:
// the password is checked there, the login session used to make the token is ended at once, and a key asked for
// without any scope that changes gems is a read-only token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../../lib/auth.ts';
import { AppError } from '../../lib/errors.ts';
import type { AccountsClient, CallMeta } from '../accounts-client.ts';
import type { FormatContext } from '../multiformat/context.ts';
import { challenge } from '../multiformat/http.ts';

/** The scopes of rubygems.org's API keys that change something; the others (index_rubygems, show_dashboard) only read. */
const WRITE_SCOPES = ['push_rubygem', 'yank_rubygem', 'add_owner', 'remove_owner'];
/** The main API's longest token name. */
const NAME_MAX = 100;

const meta = (req: FastifyRequest): CallMeta => ({
  requestId: req.id,
  ip: req.ip,
  userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
});

export function registerApiKeyRoute(app: FastifyInstance, ctx: FormatContext, accounts: AccountsClient, urls: string[]) {
  const signIn = async (req: FastifyRequest) => {
    const cred = parseAuthorization(req.headers.authorization);
    // rubygems.org's words for a missing or wrong password; the challenge makes gem ask again.
    if (cred?.kind !== 'basic' || !cred.username || !cred.token) throw challenge('HTTP Basic: Access denied.', 'rubygems');
    const given = cred.username.trim();
    const username = given.includes('@') ? ctx.identity.userByEmail(given)?.username : given.toLowerCase();
    const session = username ? await accounts.login(username, cred.token, meta(req)) : undefined;
    if (!session) throw challenge('HTTP Basic: Access denied.', 'rubygems');
    try {
      const form = new URLSearchParams(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');
      const name = (form.get('name') || 'gem signin').slice(0, NAME_MAX);
      const readonly = !WRITE_SCOPES.some((s) => form.get(s) === 'true');
      const created = await accounts.createToken(`Bearer ${session.token}`, { name, readonly }, meta(req));
      if (typeof created.token !== 'string') throw new AppError(502, 'TOKEN_NOT_CREATED', 'the main API did not return a key: try again');
      return created.token;
    } finally {
      await accounts.logout(session.token, meta(req)).catch(() => undefined);
    }
  };
  for (const url of urls) app.post(url, async (req, reply) => reply.type('text/plain; charset=utf-8').send(await signIn(req)));
}
