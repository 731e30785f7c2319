import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';
import { NOTIFICATION_LIMITS } from './constants.js';

/** A plain JSON object (not an array, not null). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects problems with their FHIRPath-like location; diagnostics never quote a value. */
export class Problems {
  public readonly issues: OperationOutcomeIssue[] = [];

  public add(
    diagnostics: string,
    expression: string,
    code: OperationOutcomeIssue['code'] = 'invalid',
  ): undefined {
    this.issues.push(issue(code, diagnostics, expression));
    return undefined;
  }
}

/**
 * The single `value[x]` of a Parameters parameter (or part), when its key is one of `allowed`;
 * otherwise a problem at `path` naming the allowed keys.
 */
export const readValue = (
  parameter: Record<string, unknown>,
  allowed: readonly string[],
  path: string,
  what: string,
  problems: Problems,
): { key: string; value: unknown } | undefined => {
  const keys = Object.keys(parameter).filter((key) => key.startsWith('value'));
  const key = keys[0];
  if (keys.length !== 1 || key === undefined || !allowed.includes(key)) {
    return problems.add(`${what} must have exactly one value, as ${allowed.join(' or ')}`, path);
  }
  return { key, value: parameter[key] };
};

/** Keys an event number or counter may come as: the IG says string; servers also send integers. */
export const COUNTER_KEYS = [
  'valueString',
  'valueUnsignedInt',
  'valuePositiveInt',
  'valueInteger',
  'valueInteger64',
];

const DIGITS = new RegExp(`^[0-9]{1,${NOTIFICATION_LIMITS.maxCounterDigits}}$`);

/** A non-negative safe integer from a counter value (a digit string or a JSON number), or undefined. */
export const toCounter = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  return typeof value === 'string' && DIGITS.test(value) ? Number(value) : undefined;
};

/** A counter parameter or part (`events-since-subscription-start`, `event-number`), or a problem. */
export const readCounter = (
  parameter: Record<string, unknown>,
  path: string,
  what: string,
  problems: Problems,
): number | undefined => {
  const found = readValue(parameter, COUNTER_KEYS, path, what, problems);
  if (!found) return undefined;
  return (
    toCounter(found.value) ?? problems.add(`${what} must be a non-negative integer`, at(path, found.key))
  );
};

/** `valueX` -> `.valueX` appended to a path. */
export const at = (path: string, key: string): string => `${path}.${key}`;

/**
 * Visits each element of a Parameters `parameter` or `part` list by name: reports one that is not an
 * object with a name, and a repeat of a name `once` says may occur only once; returns the names seen.
 */
export const eachNamed = (
  list: readonly unknown[],
  pathOf: (index: number) => string,
  once: (name: string) => boolean,
  problems: Problems,
  visit: (name: string, item: Record<string, unknown>, where: string) => void,
): ReadonlySet<string> => {
  const seen = new Set<string>();
  list.forEach((item, index) => {
    const where = pathOf(index);
    if (!isObject(item) || typeof item['name'] !== 'string') {
      problems.add('Each element must be an object with a name', where);
      return;
    }
    const name = item['name'];
    if (once(name) && seen.has(name)) {
      problems.add(`${name} occurs more than once`, where);
      return;
    }
    seen.add(name);
    visit(name, item, where);
  });
  return seen;
};
