// What the PyPI, Maven and RubyGems modules share: repos, identity, blobs, clock, auth guards, upload limit, and
// the helpers every one of them needs (digests, the status-line message their clients print).
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import type { AuthGuards } from '../../lib/request-auth.ts';
import type { BlobCollector } from '../blob-gc.ts';
import type { BlobStore } from '../blob-store.ts';
import type { IdentityLookups } from '../identity-repo.ts';
import type { DownloadCounter } from '../npm/downloads.ts';
import type { PackagesRepo } from '../packages-repo.ts';
import type { LicensePolicy } from '../security/licenses.ts';
import type { ReviewListener } from '../security/registry-security.ts';
import type { FilesRepo } from './files-repo.ts';

export interface FormatContext {
  db: Db;
  repo: PackagesRepo;
  files: FilesRepo;
  identity: IdentityLookups;
  clock: Clock;
  blobs: BlobStore;
  /** Deletes the blobs of dropped rows after their commit, and orphans (blob-gc.ts). */
  gc: BlobCollector;
  guards: AuthGuards;
  /** Largest artifact accepted (bytes); bigger uploads get 413 before anything is stored. */
  maxUploadBytes: number;
  /** Maven SNAPSHOT builds kept per version (older timestamped builds are pruned). */
  snapshotRetention: number;
  /** Download counts, added up in memory and written once a second (the npm counter, issue #11 hot spot 2). */
  downloads: Pick<DownloadCounter, 'count'>;
  /** Run the publish-time scanner (issue #6) on wheels, sdists, jars and gems. */
  scan: boolean;
  /** Rescores a package shortly after a publish's acknowledgement, before any later read (registry-security.ts). */
  queueRescore: (ecosystem: string, name: string) => void;
  /** Registers a step of an admin's security review (release/quarantine), run in its transaction. */
  onReview: (listener: ReviewListener) => void;
  /** The operator's licence policy (LICENSE_POLICY, LICENSE_ALLOW, LICENSE_DENY), for scans and tree reports. */
  licensePolicy: LicensePolicy;
}

export interface Digests {
  sha256: string;
  sha1: string;
  md5: string;
  sha512: string;
  /** "sha512-<base64>", the integrity column of package_versions. */
  integrity: string;
}

export function digestsOf(bytes: Buffer): Digests {
  const h = (alg: string) => createHash(alg).update(bytes).digest();
  const sha512 = h('sha512');
  return {
    sha256: h('sha256').toString('hex'),
    sha1: h('sha1').toString('hex'),
    md5: h('md5').toString('hex'),
    sha512: sha512.toString('hex'),
    integrity: `sha512-${sha512.toString('base64')}`,
  };
}

export const isoNow = (clock: Clock) => new Date(clock.now()).toISOString();

/**
 * twine and Maven print only "<code> <reason phrase>" (multiformat-protocols.md 1.3, 2.2), so the message goes in
 * the status line, as Warehouse does. It is made single-line latin-1 so user text cannot split the response.
 */
export function setReason(reply: FastifyReply, message: string): void {
  reply.raw.statusMessage = message
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e\xa0-\xff]/g, '?')
    .slice(0, 300);
}
