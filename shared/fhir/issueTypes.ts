/** The codes of FHIR R4's IssueType value set (`OperationOutcome.issue.code`, required binding). */
export const ISSUE_TYPE_CODES: readonly string[] = [
  'invalid',
  'structure',
  'required',
  'value',
  'invariant',
  'security',
  'login',
  'unknown',
  'expired',
  'forbidden',
  'suppressed',
  'processing',
  'not-supported',
  'duplicate',
  'multiple-matches',
  'not-found',
  'deleted',
  'too-long',
  'code-invalid',
  'extension',
  'too-costly',
  'business-rule',
  'conflict',
  'transient',
  'lock-error',
  'no-store',
  'exception',
  'timeout',
  'incomplete',
  'throttled',
  'informational',
];

const CODES: ReadonlySet<string> = new Set(ISSUE_TYPE_CODES);

/** True when `value` is an IssueType code. */
export const isIssueTypeCode = (value: unknown): value is string =>
  typeof value === 'string' && CODES.has(value);
