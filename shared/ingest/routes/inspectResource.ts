import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { FhirResource } from '../../fhir/types.js';
import { isFhirId } from '../../fhir/ids.js';
import { NON_CLINICAL_TYPES } from '../constants.js';
import { isKnownResourceType, validateFhirResource } from '../validateFhirResource.js';
import { CONFIG_KEYS, configKeyNote } from '../../config/configKeys.js';

export interface InspectOptions {
  /** FHIRPath of the resource in the request: `Patient` for a body, `Bundle.entry[3].resource`. */
  readonly root: string;
  /** Resource type the URL names; the body must agree. */
  readonly urlType?: string;
  /** Id the URL names (update); the body must agree, or carry none. */
  readonly urlId?: string;
  /** Id the server assigns (create), replacing any id in the body, as FHIR create does. */
  readonly assignedId?: string;
  /** Run the structure validator (default true). */
  readonly validate?: boolean;
  /** Latest acceptable `meta.lastUpdated`, epoch ms: a later one pins the resource (422). */
  readonly latestLastUpdated?: number;
}

export type Inspection =
  | { readonly ok: true; readonly resource: FhirResource }
  | { readonly ok: false; readonly issues: OperationOutcomeIssue[]; readonly status?: 422 };

/** The latest `meta.lastUpdated` a write may carry now: the clock plus the configured skew. */
export const latestLastUpdated = (context: {
  readonly now: () => Date;
  readonly limits: { readonly maxClockSkewSeconds: number };
}): number => context.now().getTime() + context.limits.maxClockSkewSeconds * 1000;

/** An error-severity issue at `expression` (a FHIRPath), as the ingest routes report them. */
export const issue = (
  code: OperationOutcomeIssue['code'],
  diagnostics: string,
  expression: string,
): OperationOutcomeIssue => ({ severity: 'error', code, diagnostics, expression: [expression] });

/**
 * Checks one resource of a write: a JSON object of a known R4 type the connector replicates, agreeing
 * with the URL's type and id, with a valid FHIR id, and structurally valid. Returns the resource as
 * it will be recorded (id set) or the issues; diagnostics name elements, never values.
 */
export const inspectResource = (value: unknown, options: InspectOptions): Inspection => {
  const { root } = options;
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, issues: [issue('structure', 'A FHIR resource (a JSON object) is required', root)] };
  }
  const body = value as Record<string, unknown>;
  const resourceType = body.resourceType;
  if (typeof resourceType !== 'string') {
    return { ok: false, issues: [issue('required', 'resourceType is missing', `${root}.resourceType`)] };
  }
  if (!isKnownResourceType(resourceType)) {
    return {
      ok: false,
      issues: [issue('not-supported', 'resourceType is not a FHIR R4 resource type', `${root}.resourceType`)],
    };
  }
  if (NON_CLINICAL_TYPES.has(resourceType)) {
    return {
      ok: false,
      issues: [
        issue(
          'not-supported',
          `${resourceType} resources are not replicated through this interaction${resourceType === 'Subscription' ? ' (use PUT/POST [base]/Subscription)' : ''}`,
          `${root}.resourceType`,
        ),
      ],
    };
  }
  if (options.urlType !== undefined && resourceType !== options.urlType) {
    return {
      ok: false,
      issues: [
        issue(
          'invalid',
          `resourceType ${resourceType} does not match the URL type ${options.urlType}`,
          `${root}.resourceType`,
        ),
      ],
    };
  }
  let id = body.id;
  if (options.assignedId !== undefined) {
    id = options.assignedId;
  } else if (options.urlId !== undefined) {
    if (id === undefined) id = options.urlId;
    else if (id !== options.urlId) {
      return {
        ok: false,
        issues: [issue('invalid', 'Resource id does not match the id in the URL', `${root}.id`)],
      };
    }
  }
  if (!isFhirId(id)) {
    return {
      ok: false,
      issues: [
        issue('invalid', 'Resource id is missing or not a valid FHIR id ([A-Za-z0-9-.]{1,64})', `${root}.id`),
      ],
    };
  }
  const resource = { ...body, resourceType, id } as FhirResource;
  const lastUpdated = (body.meta as { lastUpdated?: unknown } | undefined)?.lastUpdated;
  if (typeof lastUpdated === 'string' && Date.parse(lastUpdated) > (options.latestLastUpdated ?? Infinity)) {
    // A future version would make every later real update look stale: refuse it rather than pin.
    return {
      ok: false,
      status: 422,
      issues: [
        issue(
          'business-rule',
          `meta.lastUpdated lies further in the future than the allowed clock skew ${configKeyNote(CONFIG_KEYS.maxClockSkewSeconds)}`,
          `${root}.meta.lastUpdated`,
        ),
      ],
    };
  }
  if (options.validate !== false) {
    const problems = validateFhirResource(resource, root);
    if (problems.length > 0) return { ok: false, issues: problems };
  }
  return { ok: true, resource };
};
