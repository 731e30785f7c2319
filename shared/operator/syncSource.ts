import { fileURLToPath } from 'node:url';
import { isR4ResourceType } from './resourcePath.js';

/** Where `hlc sync` reads: a FHIR server (its base, and a search when one was given), or files. */
export type SyncSource =
  | { readonly kind: 'server'; readonly baseUrl: string; readonly search?: string }
  | { readonly kind: 'files'; readonly paths: readonly string[] };

/** A `file:` URL as a path: `file:///abs/dir/`, `file:/C:/dir/` (Windows) or `file:relative/dir`. */
const filePath = (source: string): string => {
  if (!source.startsWith('file:')) return source;
  // smileutil also takes `file:some/directory`, relative to the working directory.
  if (!source.startsWith('file:/')) return decodeURIComponent(source.slice('file:'.length));
  try {
    return fileURLToPath(source);
  } catch {
    throw new Error('a file: source is not a valid file URL');
  }
};

/**
 * A server URL, split as smileutil reads it: a base URL (`https://ehr.example.org/fhir`) or a search
 * URL whose last path segment is an R4 resource type (`https://ehr.example.org/fhir/Patient?name=x`),
 * which is then run on the base.
 */
const serverSource = (source: string): SyncSource => {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new Error('the source is not a valid URL');
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error(
      'the source URL holds credentials: pass them with --source-basic-auth or --source-bearer-token',
    );
  }
  url.hash = '';
  const segments = url.pathname.split('/');
  const last = segments.at(-1) === '' ? segments.at(-2) : segments.at(-1);
  if (last === undefined || !isR4ResourceType(last)) {
    if (url.search !== '')
      throw new Error('a search URL source must name a resource type (…/fhir/Patient?name=x)');
    return { kind: 'server', baseUrl: url.href };
  }
  const typeAt = url.pathname.lastIndexOf(`/${last}`);
  const base = new URL(url.pathname.slice(0, typeAt + 1), url);
  return { kind: 'server', baseUrl: base.href, search: `${last}?${url.search.replace(/^\?/, '')}` };
};

/**
 * Reads `hlc sync`'s sources: one `http(s)://` URL (a base or a search), or files and folders, given as
 * paths or `file:` URLs. Anything else (another scheme, a URL beside files) is refused with a reason.
 *
 * @example
 * parseSyncSource(['https://ehr.example.org/fhir/Patient?name=smith']);
 * // { kind: 'server', baseUrl: 'https://ehr.example.org/fhir/', search: 'Patient?name=smith' }
 */
export const parseSyncSource = (sources: readonly string[]): SyncSource => {
  const servers = sources.filter((source) => /^https?:/i.test(source));
  if (servers.length > 0) {
    if (sources.length > 1) throw new Error('sync reads one server URL, or files and folders, not both');
    return serverSource(servers[0] as string);
  }
  const other = sources.find((source) => /^[a-z][a-z0-9+.-]+:/i.test(source) && !source.startsWith('file:'));
  if (other !== undefined)
    throw new Error('a sync source is an http(s):// URL, a file: URL, a file or a folder');
  return { kind: 'files', paths: sources.map(filePath) };
};
