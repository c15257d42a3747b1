// The plugin descriptor of a Maven plugin jar (META-INF/maven/plugin.xml, written by maven-plugin-plugin): its
// <goalPrefix> is what `mvn <prefix>:<goal>` resolves through the group-level maven-metadata.xml (group-metadata.ts).
// Read once, when the main jar is deployed, and kept in the jar's artifact_files.meta as `plugin`.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError, badRequest } from '../../lib/errors.ts';
import { type ArchiveEntry, DEFAULT_ARCHIVE_LIMITS, readZip } from '../security/archive-reader.ts';
import { xmlText } from './metadata.ts';

export const PLUGIN_DESCRIPTOR = 'META-INF/maven/plugin.xml';

/** What the group-level metadata needs of a plugin jar. */
export interface PluginFacts {
  prefix: string;
  /** The descriptor's <name>; null when it has none (the POM's name, else the artifactId, stands in). */
  name: string | null;
}

// Maven splits `prefix:goal` on the colon, so a prefix is one token; maven-plugin-plugin derives it from the
// artifactId, whose characters these are.
const PREFIX = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;
const MAX_NAME = 500;

const invalid = (filename: string, why: string) =>
  badRequest(`${filename} has an unusable ${PLUGIN_DESCRIPTOR}: ${why}`, undefined, 'INVALID_PLUGIN_DESCRIPTOR');

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v).trim() : undefined);

/**
 * The prefix and name of a jar's plugin descriptor; undefined for a jar without one, or without a goalPrefix in it,
 * and for bytes that are no readable zip (the scanner refuses those; with scanning off they are kept, as before). A
 * descriptor that is there but that Maven could not use (not XML, no <plugin>, a goalPrefix it cannot resolve)
 * refuses the deploy (400), before anything is stored.
 */
export function readPluginDescriptor(filename: string, jar: Buffer): PluginFacts | undefined {
  let entry: ArchiveEntry | undefined;
  try {
    // Only the descriptor's bytes are held; the other entries are walked for the archive's bounds alone.
    entry = readZip(jar, DEFAULT_ARCHIVE_LIMITS, (path) => path === PLUGIN_DESCRIPTOR).find((e) => e.path === PLUGIN_DESCRIPTOR);
  } catch (err) {
    if (err instanceof AppError) return undefined;
    throw err;
  }
  if (!entry) return undefined;
  if (!entry.held) throw invalid(filename, `it is ${entry.size} bytes, more than the registry reads of one entry`);
  const xml = entry.data.toString('utf8').replace(/^\uFEFF/, '');
  if (XMLValidator.validate(xml) !== true) throw invalid(filename, 'it is not well-formed XML');
  const doc = new XMLParser({ ignoreAttributes: true, processEntities: false, parseTagValue: false }).parse(xml) as Record<string, unknown>;
  const plugin = doc?.plugin;
  if (!plugin || typeof plugin !== 'object' || Array.isArray(plugin)) throw invalid(filename, 'it has no <plugin> root element');
  const fields = plugin as Record<string, unknown>;
  if (fields.goalPrefix === undefined) return undefined;
  const prefix = text(fields.goalPrefix);
  if (prefix === undefined || !PREFIX.test(prefix))
    throw invalid(
      filename,
      prefix === undefined
        ? 'its goalPrefix is not text: give one word of up to 100 letters, digits, ".", "_" and "-"'
        : `its goalPrefix "${prefix.length > 100 ? `${prefix.slice(0, 100)}..." (${prefix.length} characters)` : `${prefix}"`} is not one Maven can resolve: use up to 100 letters, digits, ".", "_" and "-"`,
    );
  const name = xmlText(text(fields.name) ?? '').trim();
  return { prefix, name: name ? name.slice(0, MAX_NAME) : null };
}
