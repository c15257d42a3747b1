// Search service time at registry sizes the publish path would take too long to reach (issue #11: "p95 under
// 10 ms at 10,000 packages, and no worse at 100,000"). Inserts the bench plan's packages (same names,
// descriptions, keywords, one maintainer, one version) straight into a temp registry.db, then times
// registry/search.ts in-process, sequentially, over the bench's search words and a few other query shapes:
// each search itself (runSearch, no cache), then a repeated search answered by searchPackages' cache while the
// database is unchanged, and one made again from its kept ranking when only the download counts' minute turned. Not a load test: the HTTP figures come from `npm run bench`.
//   node --import tsx scripts/bench/search-scale.ts [--sizes 10000,100000] [--rounds 20]
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { openRegistryDatabase } from '../../registry/db.ts';
import { type CutRanking, runSearch, type SearchQuery, searchPackages } from '../../registry/search.ts';
import { planPackages, WORDS } from './fixtures.ts';

const { values: args } = parseArgs({
  options: { sizes: { type: 'string', default: '10000,100000' }, rounds: { type: 'string', default: '20' } },
});
const sizes = args.sizes.split(',').map(Number);
const rounds = Number(args.rounds);

/** The query shapes timed; each runs once per bench word per round. */
const SHAPES: Record<string, (w: string) => Omit<SearchQuery, 'ecosystem' | 'limit' | 'offset'>> = {
  'one word (bench words)': (w) => ({ text: w }),
  'prefix of a word': (w) => ({ text: w.slice(0, 3) }),
  'two words': (w) => ({ text: `${w} helper` }),
  'word + keywords:': (w) => ({ text: `${w} keywords:${w}` }),
  'word, sort=downloads': (w) => ({ text: w, sort: 'downloads' }),
  'empty text, sort=downloads': () => ({ text: '', sort: 'downloads' }),
  'empty text, sort=relevance': () => ({ text: '' }),
};

/**
 * Each bench word searched in `rounds` timed rounds after an untimed one (it warms the statement cache and the page
 * cache): the times in ms, sorted.
 */
function timedOverWords(search: (word: string) => unknown): number[] {
  const times: number[] = [];
  for (let r = 0; r < rounds + 1; r++)
    for (const w of WORDS) {
      const t0 = performance.now();
      search(w);
      if (r > 0) times.push(performance.now() - t0);
    }
  return times.sort((a, b) => a - b);
}

function fill(file: string, n: number) {
  const db = openRegistryDatabase(file);
  const plan = planPackages(n, { maxVersions: 1, scope: 'benchuser' });
  const at = new Date().toISOString();
  const sha = createHash('sha512').update('x').digest('hex');
  db.prepare('INSERT INTO blobs (sha512, size, created_at) VALUES (?, 1, ?)').run(sha, at);
  const pkg = db.prepare(
    `INSERT INTO packages (ecosystem, name, scope, description, keywords, downloads, created_at, updated_at) VALUES ('npm', ?, ?, ?, ?, ?, ?, ?)`,
  );
  const maint = db.prepare(
    "INSERT INTO package_maintainers (package_id, user_id, username, email, added_at) VALUES (?, 'u1', 'benchuser', 'b@x.test', ?)",
  );
  const tag = db.prepare("INSERT INTO dist_tags (package_id, tag, version) VALUES (?, 'latest', '1.0.0')");
  const ver = db.prepare(
    `INSERT INTO package_versions (package_id, version, manifest, filename, blob_sha512, integrity, shasum, size, publisher_name, published_at)
     VALUES (?, '1.0.0', '{}', 'x.tgz', ?, 'sha512-x', 'x', 1, 'benchuser', ?)`,
  );
  const score = db.prepare(
    `INSERT INTO package_scores (ecosystem, name, quality, popularity, maintenance, overall, breakdown, scoring_version, computed_at)
     VALUES ('npm', ?, ?, ?, ?, ?, '{}', 'bench', ?)`,
  );
  const started = performance.now();
  db.transaction(() => {
    plan.packages.forEach((p, i) => {
      const scope = p.name.startsWith('@') ? p.name.slice(1, p.name.indexOf('/')) : null;
      const id = Number(pkg.run(p.name, scope, p.description, JSON.stringify(p.keywords), (i * 7919) % 100_000, at, at).lastInsertRowid);
      maint.run(id, at);
      tag.run(id);
      ver.run(id, sha, at);
      const s = ((i * 31) % 100) / 100;
      score.run(p.name, s, s, s, s, at);
    });
  })();
  return { db, insertMs: performance.now() - started };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'elide-search-scale-'));
try {
  for (const n of sizes) {
    const { db, insertMs } = fill(path.join(dir, `registry-${n}.db`), n);
    console.log(
      `\n${n.toLocaleString('en')} packages (inserted with the FTS triggers in ${(insertMs / 1000).toFixed(1)} s), ${rounds} rounds`,
    );
    console.log(
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' / ')} on ${os.cpus().length} cores`,
    );
    // min: the best of the runs, the closest figure to the service time of an idle machine.
    console.log('query'.padEnd(30), ...['min ms', 'median ms', 'p95 ms', 'max ms', 'avg total'].map((h) => h.padStart(10)));
    for (const [label, shape] of Object.entries(SHAPES)) {
      let totals = 0;
      const times = timedOverWords((w) => {
        totals += runSearch(db, { ecosystem: 'npm', limit: 20, offset: 0, ...shape(w) }).total;
      });
      const f = (x: number) => x.toFixed(2).padStart(10);
      console.log(
        label.padEnd(30),
        f(times[0]),
        f(pct(times, 50)),
        f(pct(times, 95)),
        f(times[times.length - 1]),
        String(Math.round(totals / ((rounds + 1) * WORDS.length))).padStart(10),
      );
    }
    const fast = (label: string, times: number[]) =>
      console.log(label.padEnd(30), ...[times[0], pct(times, 50), pct(times, 95)].map((x) => x.toFixed(3).padStart(10)));
    fast(
      'repeated word, cached',
      timedOverWords((w) => searchPackages(db, { ecosystem: 'npm', text: w, limit: 20, offset: 0 })),
    );
    // When the download counts' minute turns and nothing else changed, searchPackages keeps each search's cut
    // ranking (no bm25) and only orders the page again: runSearch with the rankings of the first round.
    const kept = new Map<string, CutRanking>();
    fast(
      'repeated word, minute turned',
      timedOverWords((w) =>
        runSearch(db, { ecosystem: 'npm', text: w, limit: 20, offset: 0 }, (rank) => {
          const ranking = kept.get(w) ?? rank();
          kept.set(w, ranking);
          return ranking;
        }),
      ),
    );
    db.close();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
