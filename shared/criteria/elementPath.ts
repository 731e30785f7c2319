import type { ElementPath } from './searchParameterTable.js';

/** A test on one value (or one element) reached by a path. */
export type ValueTest = (value: unknown) => boolean;

type Node = Record<string, unknown>;

const RELATIVE_TYPE = /^([A-Z][A-Za-z]+)\//;
const ABSOLUTE_TYPE = /\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(?:\/_history\/[^/]+)?$/;

/**
 * The resource type a Reference points at, as `where(resolve() is Type)` needs it without resolving:
 * from a relative (`Patient/1`) or RESTful absolute (`https://x/fhir/Patient/1`) reference, else
 * `Reference.type`. Undefined for `urn:uuid:`/`#contained` references without `type`.
 */
export const referenceTypeOf = (reference: Node): string | undefined => {
  const text = reference['reference'];
  if (typeof text === 'string') {
    const type = RELATIVE_TYPE.exec(text)?.[1] ?? ABSOLUTE_TYPE.exec(text)?.[1];
    if (type) return type;
  }
  return typeof reference['type'] === 'string' ? reference['type'] : undefined;
};

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null;

/**
 * Compiles a path into "does any value reached by the path pass `terminal`": direct property reads,
 * arrays flattened, short-circuiting on the first hit. No FHIRPath is evaluated.
 */
export const compilePath = (path: ElementPath, terminal: ValueTest): ValueTest => {
  const resolveIs = path.resolveIs;
  let test: ValueTest = resolveIs
    ? (value) => isNode(value) && referenceTypeOf(value) === resolveIs && terminal(value)
    : terminal;
  for (let i = path.steps.length - 1; i >= 0; i--) {
    const { name, where } = path.steps[i]!;
    const next = test;
    if (where) {
      const { property, equals } = where;
      const accept = (item: unknown): boolean => isNode(item) && item[property] === equals && next(item);
      test = (node) => {
        const value = (node as Node)[name];
        if (Array.isArray(value)) {
          for (const item of value) if (accept(item)) return true;
          return false;
        }
        return accept(value);
      };
    } else {
      test = (node) => {
        const value = (node as Node)[name];
        if (value === undefined || value === null) return false;
        if (Array.isArray(value)) {
          for (const item of value) if (item !== null && next(item)) return true;
          return false;
        }
        return next(value);
      };
    }
  }
  return test;
};

/** OR of several tests, specialised for the common one- and two-test cases. */
export const anyOf = (tests: readonly ValueTest[]): ValueTest => {
  if (tests.length === 1) return tests[0]!;
  if (tests.length === 2) {
    const [a, b] = tests as [ValueTest, ValueTest];
    return (value) => a(value) || b(value);
  }
  return (value) => {
    for (const test of tests) if (test(value)) return true;
    return false;
  };
};

/** AND of several tests. */
export const allOf = (tests: readonly ValueTest[]): ValueTest => {
  if (tests.length === 1) return tests[0]!;
  return (value) => {
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
};
