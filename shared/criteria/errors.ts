import { OperationOutcomeError, badRequest } from '../fhir/outcomes.js';

/** Where criteria problems point in the Subscription. */
export const CRITERIA_EXPRESSION = 'Subscription.criteria';

/**
 * A criterion the matcher cannot evaluate exactly. The message names the parameter, never its value
 * (a criteria value may be an identifier, i.e. PHI).
 */
export const unsupportedParameter = (parameter: string, reason: string): OperationOutcomeError =>
  new OperationOutcomeError(
    badRequest(`Unsupported search parameter "${parameter}" in criteria: ${reason}`, CRITERIA_EXPRESSION),
  );

/** A value that is not valid for its parameter (e.g. a malformed date). */
export const invalidValue = (parameter: string, reason: string): OperationOutcomeError =>
  new OperationOutcomeError(
    badRequest(
      `Invalid value for search parameter "${parameter}" in criteria: ${reason}`,
      CRITERIA_EXPRESSION,
    ),
  );

/** Criteria that are malformed as a whole (unknown resource type, bad syntax). */
export const invalidCriteria = (reason: string): OperationOutcomeError =>
  new OperationOutcomeError(badRequest(`Invalid criteria: ${reason}`, CRITERIA_EXPRESSION));
