// SQL for advisories and their affected packages (tables from migration 020), as prepared statements.
import type { Db } from '../../lib/db.ts';
import type { AdvisorySummary, OsvAffected, OsvRecord } from './advisories.ts';
import type { Severity } from './cvss.ts';
import type { Ecosystem } from './versions.ts';

export interface StoredAdvisory {
  num: number;
  id: string;
  aliases: string[];
  title: string;
  url: string;
  severity: Severity;
  cvss: { score: number; vectorString: string | null };
  cwe: string[];
  isMalware: boolean;
  affected: OsvAffected;
}

interface Row {
  num: number;
  id: string;
  aliases: string;
  title: string;
  url: string;
  severity: Severity;
  cvss_score: number;
  cvss_vector: string | null;
  cwe: string;
  is_malware: number;
  affected: string;
}

export function createAdvisoriesRepo(db: Db) {
  const modified = db.prepare<[string], { modified: string }>('SELECT modified FROM advisories WHERE id = ?');
  const insert = db.prepare(
    `INSERT INTO advisories (id, modified, published, withdrawn, aliases, title, url, severity, severity_unknown, cvss_score,
       cvss_vector, cwe, is_malware, record, imported_at)
     VALUES (@id, @modified, @published, @withdrawn, @aliases, @title, @url, @severity, @severity_unknown, @cvss_score,
       @cvss_vector, @cwe, @is_malware, @record, @imported_at)
     ON CONFLICT(id) DO UPDATE SET modified = excluded.modified, published = excluded.published, withdrawn = excluded.withdrawn,
       aliases = excluded.aliases, title = excluded.title, url = excluded.url, severity = excluded.severity,
       severity_unknown = excluded.severity_unknown, cvss_score = excluded.cvss_score, cvss_vector = excluded.cvss_vector,
       cwe = excluded.cwe, is_malware = excluded.is_malware, record = excluded.record, imported_at = excluded.imported_at`,
  );
  const numOf = db.prepare<[string], { num: number }>('SELECT num FROM advisories WHERE id = ?');
  const clearAffected = db.prepare('DELETE FROM advisory_affected WHERE advisory_num = ?');
  const insertAffected = db.prepare('INSERT INTO advisory_affected (advisory_num, ecosystem, name, affected) VALUES (?, ?, ?, ?)');
  const forPackage = db.prepare<[string, string], Row>(
    `SELECT a.num, a.id, a.aliases, a.title, a.url, a.severity, a.cvss_score, a.cvss_vector, a.cwe, a.is_malware, f.affected
     FROM advisory_affected f JOIN advisories a ON a.num = f.advisory_num
     WHERE f.ecosystem = ? AND f.name = ? AND a.withdrawn IS NULL ORDER BY a.num`,
  );
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM advisories');

  return {
    modifiedOf: (id: string): string | undefined => modified.get(id)?.modified,
    count: (): number => count.get()!.n,
    /** Must run inside the caller's transaction (importOsv). */
    upsert(rec: OsvRecord, s: AdvisorySummary, affected: { ecosystem: Ecosystem; name: string; affected: OsvAffected }[], at: string) {
      insert.run({
        id: rec.id,
        modified: rec.modified,
        published: rec.published ?? null,
        withdrawn: rec.withdrawn ?? null,
        aliases: JSON.stringify(rec.aliases ?? []),
        title: s.title,
        url: s.url,
        severity: s.severity,
        severity_unknown: s.severityUnknown ? 1 : 0,
        cvss_score: s.cvss.score,
        cvss_vector: s.cvss.vectorString,
        cwe: JSON.stringify(s.cwe),
        is_malware: s.isMalware ? 1 : 0,
        record: JSON.stringify(rec),
        imported_at: at,
      });
      const num = numOf.get(rec.id)!.num;
      clearAffected.run(num);
      for (const a of affected) insertAffected.run(num, a.ecosystem, a.name, JSON.stringify(a.affected));
    },
    forPackage(ecosystem: Ecosystem, name: string): StoredAdvisory[] {
      return forPackage.all(ecosystem, name).map((r) => ({
        num: r.num,
        id: r.id,
        aliases: JSON.parse(r.aliases) as string[],
        title: r.title,
        url: r.url,
        severity: r.severity,
        cvss: { score: r.cvss_score, vectorString: r.cvss_vector },
        cwe: JSON.parse(r.cwe) as string[],
        isMalware: r.is_malware === 1,
        affected: JSON.parse(r.affected) as OsvAffected,
      }));
    },
  };
}

export type AdvisoriesRepo = ReturnType<typeof createAdvisoriesRepo>;
