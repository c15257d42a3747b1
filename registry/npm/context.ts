// What the npm rules modules share: the repo, identity lookups, blob store, signer, clock and packument cache.
import type { Clock } from '../../lib/clock.ts';
import type { Db } from '../../lib/db.ts';
import type { BlobStore } from '../blob-store.ts';
import type { IdentityLookups } from '../identity-repo.ts';
import type { FilesRepo } from '../multiformat/files-repo.ts';
import type { PackagesRepo } from '../packages-repo.ts';
import type { RegistrySecurity } from '../security/registry-security.ts';
import type { DownloadCounter } from './downloads.ts';
import type { PackumentCache } from './packument.ts';
import type { RegistrySigner } from './signing.ts';

export const NPM = 'npm';

export interface NpmContext {
  db: Db;
  repo: PackagesRepo;
  identity: IdentityLookups;
  clock: Clock;
  blobs: BlobStore;
  signer: RegistrySigner;
  packuments: PackumentCache;
  maxTarballBytes: number;
  /** Batched tarball download counts (flushed every second, before reports, on close). */
  downloads: DownloadCounter;
  /** Publish-time scan and scoring (issue #6), and the rescore after an unpublish; absent: publishes are not scanned. */
  security?: Pick<
    RegistrySecurity,
    'checkPublish' | 'recordPublish' | 'isQuarantined' | 'rescore' | 'score' | 'scoreIn' | 'rescoreIn' | 'visibleRepo'
  >;
  /**
   * Drops the scan and score rows of unpublished versions and packages: they are keyed by name, so nothing cascades
   * (the statements a Maven withdrawal uses).
   */
  analysis: Pick<FilesRepo, 'forgetScan' | 'forgetAnalysis'>;
}

export const isoAt = (clock: Clock) => new Date(clock.now()).toISOString();
