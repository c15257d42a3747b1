// The links npm's search shows for a package (`package.links`: homepage, repository, bugs), read from its latest
// manifest as package.json writes them: a string or an object with a url; repository also in npm's shorthand
// ("github:user/repo", "user/repo") and git URL forms. Only http(s) links are given: a client may render them.

export interface ManifestLinks {
  homepage?: string;
  repository?: string;
  bugs?: string;
}

const urlOf = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof (v as { url?: unknown })?.url === 'string' ? (v as { url: string }).url : undefined;

function web(u: string | undefined): string | undefined {
  if (!u) return undefined;
  try {
    const url = new URL(u);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** A repository's page: git+https://github.com/a/b.git, git://github.com/a/b, github:a/b and a/b all give https://github.com/a/b. */
function repositoryPage(u: string | undefined): string | undefined {
  if (!u) return undefined;
  const short = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(u);
  if (short)
    return `https://${short[1] === 'gitlab' ? 'gitlab.com' : short[1] === 'bitbucket' ? 'bitbucket.org' : 'github.com'}/${short[2].replace(/\.git$/, '')}`;
  const ssh = /^git@([\w.-]+):(.+)$/.exec(u);
  const plain = ssh ? `https://${ssh[1]}/${ssh[2]}` : u.replace(/^git\+/, '').replace(/^(?:git|ssh):\/\/(?:git@)?/, 'https://');
  return web(plain.replace(/\.git$/, ''));
}

/** The links of a manifest's homepage, repository and bugs fields (each as package.json allows it). */
export function manifestLinks(m: { homepage?: unknown; repository?: unknown; bugs?: unknown }): ManifestLinks {
  const links: ManifestLinks = {};
  const homepage = web(urlOf(m.homepage));
  const repository = repositoryPage(urlOf(m.repository));
  const bugs = web(urlOf(m.bugs));
  if (homepage) links.homepage = homepage;
  if (repository) links.repository = repository;
  if (bugs) links.bugs = bugs;
  return links;
}
