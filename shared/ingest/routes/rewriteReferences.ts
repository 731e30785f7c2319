import type { OperationOutcomeIssue } from '@medplum/fhirtypes';

/**
 * Rewrites, in place, every `reference` string that is a `urn:uuid:` / `urn:oid:` full URL of a
 * Bundle entry to `Type/id`, anywhere in the value (extensions and contained resources included).
 * Returns an issue for each such reference that no entry resolves.
 */
export const rewriteReferences = (
  value: unknown,
  resolved: ReadonlyMap<string, string>,
  path: string,
  issues: OperationOutcomeIssue[],
): void => {
  if (Array.isArray(value)) {
    value.forEach((item, index) => rewriteReferences(item, resolved, `${path}[${index}]`, issues));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const object = value as Record<string, unknown>;
  for (const [name, child] of Object.entries(object)) {
    if (name === 'reference' && typeof child === 'string' && isUrn(child)) {
      const target = resolved.get(child);
      if (target === undefined) {
        issues.push({
          severity: 'error',
          code: 'not-found',
          diagnostics: 'Reference to a urn:uuid that no entry of this Bundle has as its fullUrl',
          expression: [`${path}.reference`],
        });
      } else {
        object[name] = target;
      }
    } else {
      rewriteReferences(child, resolved, `${path}.${name}`, issues);
    }
  }
};

export const isUrn = (value: string): boolean =>
  value.startsWith('urn:uuid:') || value.startsWith('urn:oid:');
