import type { FhirRequest } from './types.js';

/** What the client asked for with `Prefer: return=...` (FHIR http.html#ops). */
export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome' | undefined;

export const preferReturn = (request: FhirRequest): PreferReturn => {
  const match = /(?:^|[;,\s])return=(minimal|representation|OperationOutcome)\b/i.exec(
    request.headers.prefer ?? '',
  );
  const value = match?.[1]?.toLowerCase();
  if (value === 'minimal') return 'minimal';
  if (value === 'representation') return 'representation';
  if (value === 'operationoutcome') return 'OperationOutcome';
  return undefined;
};
