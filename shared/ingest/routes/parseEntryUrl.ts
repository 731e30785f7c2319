import { isFhirId, RESOURCE_TYPE_PATTERN } from '../../fhir/ids.js';

export type ParsedUrl =
  | { readonly ok: true; readonly resourceType: string; readonly id?: string }
  | { readonly ok: false; readonly diagnostics: string; readonly code: 'invalid' | 'not-supported' };

/**
 * Parses `Type` or `Type/id` (relative, or absolute under this server's base) from a Bundle entry's
 * `request.url`. Query strings (conditional interactions) are not supported.
 */
export const parseEntryUrl = (url: unknown, baseUrl: string): ParsedUrl => {
  if (typeof url !== 'string' || url === '') {
    return { ok: false, code: 'invalid', diagnostics: 'request.url is required' };
  }
  let relative = url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length + 1) : url;
  if (relative.startsWith('/')) relative = relative.slice(1);
  if (relative.includes('?')) {
    return {
      ok: false,
      code: 'not-supported',
      diagnostics: 'Conditional interactions (request.url with a search query) are not supported',
    };
  }
  // split yields at least one segment.
  const [resourceType, id, ...rest] = relative.split('/') as [string, ...string[]];
  if (rest.length > 0 || !RESOURCE_TYPE_PATTERN.test(resourceType)) {
    return { ok: false, code: 'invalid', diagnostics: 'request.url must be [type] or [type]/[id]' };
  }
  if (id !== undefined && !isFhirId(id)) {
    return { ok: false, code: 'invalid', diagnostics: 'request.url does not hold a valid FHIR id' };
  }
  return id === undefined ? { ok: true, resourceType } : { ok: true, resourceType, id };
};
