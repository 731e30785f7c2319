import { compileSelectorAutomaton, SelectorSyntaxError } from './selectorAutomaton.js';

/** Longest selector pattern accepted. */
export const MAX_SELECTOR_LENGTH = 256;
/**
 * Longest input a selector is run on: `Type/id`, a type of at most 64 characters and a FHIR id of at
 * most 64. Anything longer is not a FHIR reference, and the caller refuses it before matching.
 */
export const MAX_SELECTOR_INPUT_LENGTH = 64 + 1 + 64;

/** A compiled selector: `test` is a full match of `Type/id`, in time linear in the input. */
export interface IdSelector {
  test(typeAndId: string): boolean;
}

/**
 * Why a `replicate-id-prefix-selector` pattern is refused, or undefined when it may be used. The
 * selector is matched by an automaton without backtracking (selectorAutomaton.ts), so no pattern can
 * make a delivery slow: `.{0,64}` seven times or `(a+)+` cost a few microseconds per `Type/id`. A
 * pattern is refused when it is empty, longer than 256 characters, not a valid regular expression,
 * outside the supported subset (look-arounds, back-references, `\p{...}`, inline flags) or larger than
 * the automaton's state budget. The reason never quotes the pattern.
 *
 * @example
 * checkIdSelector('[a-zA-Z]+/[0-9]+') // undefined (accepted)
 * checkIdSelector('(x)\\1') // 'back-references are not allowed'
 */
export const checkIdSelector = (pattern: string): string | undefined => {
  if (pattern.length === 0) return 'the pattern is empty';
  if (pattern.length > MAX_SELECTOR_LENGTH)
    return `the pattern is longer than ${MAX_SELECTOR_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch {
    return 'the pattern is not a valid regular expression';
  }
  try {
    compileSelectorAutomaton(pattern);
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return error.message;
    throw error;
  }
  return undefined;
};

/**
 * The selector as a full match over `Type/id`, as Smile matches it. Throws for a pattern
 * `checkIdSelector` refuses, and `RangeError` when asked to match more than
 * `MAX_SELECTOR_INPUT_LENGTH` characters (callers refuse such ids first).
 *
 * @example
 * compileIdSelector('[a-zA-Z]+/[0-9]+').test('Patient/123') // true
 */
export const compileIdSelector = (pattern: string): IdSelector => {
  const unsafe = checkIdSelector(pattern);
  if (unsafe !== undefined) throw new SelectorSyntaxError(unsafe);
  const automaton = compileSelectorAutomaton(pattern);
  return {
    test: (typeAndId) => {
      if (typeAndId.length > MAX_SELECTOR_INPUT_LENGTH) {
        throw new RangeError(
          `an id selector is never run on more than ${MAX_SELECTOR_INPUT_LENGTH} characters`,
        );
      }
      return automaton.matches(typeAndId);
    },
  };
};
