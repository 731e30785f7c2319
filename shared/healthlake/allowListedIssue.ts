import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { isIssueTypeCode } from '../fhir/issueTypes.js';
import { isR4ResourceType } from '../fhir/r4ResourceTypes.js';

/** What a dead-letter cause or a log may keep of an issue HealthLake (or any server) answered. */
export interface AllowListedIssue {
  /** The issue code, only when it is an IssueType code. */
  readonly code?: string;
  /** Known-safe diagnostics, or `DIAGNOSTICS_WITHHELD`, then the element paths it names (`at ...`). */
  readonly diagnostics?: string;
}

/** Said instead of diagnostics that are not on the allow-list. */
export const DIAGNOSTICS_WITHHELD = 'diagnostics withheld (not on the allow-list)';

/** HealthLake's answer for a type it does not take (the type is checked against the R4 list below). */
const NOT_SUPPORTED_TYPE = /^ResourceType ([A-Za-z]{1,64}) is not supported\.?$/;
/**
 * An element path as FHIRPath names it (`Patient.name[0].given`, `Bundle.entry[2].resource`): a type,
 * then element names with optional indexes. Nothing else: no functions, no quotes, no values.
 */
const ELEMENT_PATH = /^[A-Z][A-Za-z]{0,63}(?:\.[a-z][A-Za-z0-9]{0,63}(?:\[\d{1,5}\])?){0,16}$/;
/** Most element paths kept, and the longest. */
const MAX_PATHS = 5;
const MAX_PATH_LENGTH = 200;

const knownDiagnostics = (text: string): string | undefined => {
  const type = NOT_SUPPORTED_TYPE.exec(text.trim())?.[1];
  return type !== undefined && isR4ResourceType(type) ? `ResourceType ${type} is not supported.` : undefined;
};

const elementPaths = (issue: OperationOutcomeIssue): string[] => {
  const candidates = [...(issue.expression ?? []), ...(issue.location ?? [])];
  const paths = candidates.filter(
    (path): path is string =>
      typeof path === 'string' && path.length <= MAX_PATH_LENGTH && ELEMENT_PATH.test(path),
  );
  return [...new Set(paths)].slice(0, MAX_PATHS);
};

/**
 * An OperationOutcome issue from another server reduced to what may be stored with a dead letter or
 * logged: an allow-list, not a scrub. Servers echo resource content in diagnostics in forms no scrub
 * recognises (HAPI quotes JSON, others print `123-45-6789` or `O'Brien` bare), so the text is kept only
 * when it is a known-safe message (HealthLake's "ResourceType X is not supported." with X an R4 type),
 * and is otherwise replaced by `DIAGNOSTICS_WITHHELD`; the code is kept when it is an IssueType code;
 * `expression` and `location` are kept when they are plain element paths. The raw text is never stored.
 *
 * @example
 * allowListedIssue({ severity: 'error', code: 'not-supported', diagnostics: 'ResourceType Foo is not supported.' })
 * // { code: 'not-supported', diagnostics: 'diagnostics withheld (not on the allow-list)' } (Foo is not R4)
 * allowListedIssue({ severity: 'error', code: 'invalid', diagnostics: 'SSN 123-45-6789', expression: ['Patient.identifier[0]'] })
 * // { code: 'invalid', diagnostics: 'diagnostics withheld (not on the allow-list) at Patient.identifier[0]' }
 */
export const allowListedIssue = (issue: OperationOutcomeIssue | undefined): AllowListedIssue => {
  if (!issue) return {};
  const raw = issue.diagnostics ?? issue.details?.text;
  const text =
    typeof raw === 'string' && raw.trim() !== ''
      ? (knownDiagnostics(raw) ?? DIAGNOSTICS_WITHHELD)
      : undefined;
  const paths = elementPaths(issue);
  const at = paths.length > 0 ? `at ${paths.join(', ')}` : undefined;
  const diagnostics = [text, at].filter((part) => part !== undefined).join(' ');
  return {
    ...(isIssueTypeCode(issue.code) ? { code: issue.code } : {}),
    ...(diagnostics === '' ? {} : { diagnostics }),
  };
};
