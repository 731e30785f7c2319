import { httpStatusOf, OperationOutcomeError } from '../../shared/fhir/outcomes.js';

/** The status, diagnostics and expression of a refusal (an OperationOutcomeError's first issue). */
export interface Refusal {
  readonly status: number;
  readonly diagnostics?: string;
  readonly expression?: string;
}

const refusalOf = (error: unknown): Refusal => {
  if (!(error instanceof OperationOutcomeError)) throw error;
  const issue = error.outcome.issue?.[0];
  return {
    status: httpStatusOf(error.outcome),
    ...(issue?.diagnostics === undefined ? {} : { diagnostics: issue.diagnostics }),
    ...(issue?.expression?.[0] === undefined ? {} : { expression: issue.expression[0] }),
  };
};

/** The refusal `run` throws; fails when it throws nothing or another error. */
export const refusal = (run: () => unknown): Refusal => {
  try {
    run();
  } catch (error) {
    return refusalOf(error);
  }
  throw new Error('expected an OperationOutcomeError');
};

/** The refusal `promise` rejects with; fails when it resolves or rejects with another error. */
export const asyncRefusal = async (promise: Promise<unknown>): Promise<Refusal> => {
  try {
    await promise;
  } catch (error) {
    return refusalOf(error);
  }
  throw new Error('expected an OperationOutcomeError');
};
