import { badRequest, OperationOutcomeError } from '../fhir/outcomes.js';

/**
 * A percent-decoded URL path segment, or undefined when its percent-encoding is malformed (`%E0%A4%A`,
 * `%ZZ`, a lone `%`): `decodeURIComponent` throws a URIError on such input, which a route must answer
 * as the caller's mistake (4xx), never as a server error.
 *
 * @example
 * decodePathSegment('job%2D1'); // 'job-1'
 * decodePathSegment('%E0%A4%A'); // undefined
 */
export const decodePathSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/**
 * `decodePathSegment`, throwing a 400 OperationOutcome (`invalid`) when the encoding is malformed.
 *
 * @example
 * const jobId = decodedPathSegment(match[1] ?? ''); // OperationOutcomeError(400) for '%E0%A4%A'
 */
export const decodedPathSegment = (segment: string): string => {
  const decoded = decodePathSegment(segment);
  if (decoded === undefined) {
    throw new OperationOutcomeError(badRequest('The URL path holds malformed percent-encoding'));
  }
  return decoded;
};
