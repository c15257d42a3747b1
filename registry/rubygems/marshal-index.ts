// The legacy index RubyGems 3.3 still needs: specs.4.8.gz (+ latest, prerelease) and the quick Marshal gemspec
// (`gem install` fetches quick/Marshal.4.8/NAME-VER.gemspec.rz in compact mode too). Written with
// @hyrious/marshal exactly as multiformat-protocols.md 3.6 verified against gem 3.3: Gem::Version and
// Gem::Requirement as user-marshal (U), Gem::Specification as user-defined (u) around its 19-field _dump array.
import zlib from 'node:zlib';
import { dump, RubyObject } from '@hyrious/marshal';
import type { GemSpec } from './gem-spec.ts';

const sym = (s: string) => Symbol.for(s);

function version(v: string): RubyObject {
  const o = new RubyObject(sym('Gem::Version'));
  o.userMarshal = [v];
  return o;
}

function requirement(pairs: [string, string][]): RubyObject {
  const o = new RubyObject(sym('Gem::Requirement'));
  o.userMarshal = [pairs.map(([op, v]) => [op, version(v)])];
  return o;
}

export interface SpecTuple {
  name: string;
  version: string;
  platform: string;
}

/** gzip(Marshal([[name, Gem::Version, platform], ...])) */
export function specsGz(rows: SpecTuple[]): Buffer {
  return zlib.gzipSync(Buffer.from(dump(rows.map((g) => [g.name, version(g.version), g.platform]))));
}

/** zlib-deflate(Marshal(u:Gem::Specification)), field order of Gem::Specification#_dump in RubyGems 3.3. */
export function quickSpec(g: GemSpec): Buffer {
  const deps = g.dependencies.map((d) => {
    const o = new RubyObject(sym('Gem::Dependency'));
    const req = requirement(d.requirements);
    const ivars = o as unknown as Record<symbol, unknown>;
    ivars[sym('@name')] = d.name;
    ivars[sym('@requirement')] = req;
    ivars[sym('@type')] = sym(d.type);
    ivars[sym('@prerelease')] = false;
    ivars[sym('@version_requirements')] = req;
    return o;
  });
  const inner = dump([
    g.rubygemsVersion,
    g.specificationVersion,
    g.name,
    version(g.version),
    null, // date: nil (RubyGems then uses today; avoids encoding a Time)
    g.summary,
    requirement(g.requiredRubyVersion),
    requirement(g.requiredRubygemsVersion),
    g.platform,
    deps,
    '', // rubyforge_project
    g.email,
    g.authors,
    g.description ?? '',
    g.homepage,
    true, // has_rdoc
    g.platform, // new_platform
    g.licenses,
    g.metadata,
  ]);
  const spec = new RubyObject(sym('Gem::Specification'));
  spec.userDefined = inner;
  return zlib.deflateSync(Buffer.from(dump(spec)));
}
