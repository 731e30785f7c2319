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

/** Where a deployment says which source FHIR server evaluates what the resource alone cannot decide. */
export const SOURCE_SETTING =
  'sourceFhir.baseUrl in the configuration; in local mode --source-fhir-url, or the source stand-in, which starts by default';

/**
 * A criterion that cannot be evaluated on the resource alone (a chain, `_has`, `_text`, a value set):
 * the source FHIR server evaluates it, when one is configured. Its outcome (400) is the answer when none
 * is; `compileCriteria` catches it when source evaluation is on.
 */
export class SourceEvaluatedParameter extends OperationOutcomeError {
  public readonly parameter: string;
  public constructor(parameter: string, reason: string) {
    super(
      badRequest(
        `Unsupported search parameter "${parameter}" in criteria: ${reason}, so it can only be evaluated by a search on the source FHIR server, and this deployment names none (${SOURCE_SETTING})`,
        CRITERIA_EXPRESSION,
      ),
    );
    this.name = 'SourceEvaluatedParameter';
    this.parameter = parameter;
  }
}

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
