/** Longest selector pattern accepted. */
export const MAX_SELECTOR_LENGTH = 256;
/** Most unbounded quantifiers (`*`, `+`, `{n,}`) a selector may hold: bounds backtracking on `Type/id`. */
export const MAX_SELECTOR_QUANTIFIERS = 3;

/**
 * Why a `replicate-id-prefix-selector` pattern is refused, or undefined when it is safe to run.
 * JavaScript's regex engine backtracks, so a pattern is accepted only when its worst case is small on
 * the input it sees (`Type/id`, at most 129 characters): no quantified group (star height 1, which rules
 * out `(a+)+` and `(a|a)*`: no group holding a quantifier or an alternation may be quantified), no back-references, at most three unbounded
 * quantifiers, at most 256 characters, and it must compile. The reason never quotes the pattern.
 *
 * @example
 * checkIdSelector('[a-zA-Z]+/[0-9]+') // undefined (accepted)
 * checkIdSelector('(a+)+') // 'a quantified group ...'
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
  // Per open group: whether it holds a quantifier or an alternation (quantifying such a group can
  // backtrack exponentially: `(a+)+`, `(a|a)*`).
  const groups: boolean[] = [];
  let unbounded = 0;
  let inClass = false;
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index];
    if (char === '\\') {
      const next = pattern[index + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) return 'back-references are not allowed';
      index += 1;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') {
      inClass = true;
    } else if (char === '|') {
      if (groups.length > 0) groups[groups.length - 1] = true;
    } else if (char === '(') {
      groups.push(false);
      const head = /^\(\?(?::|=|!|<=|<!|<[A-Za-z][A-Za-z0-9]*>)/.exec(pattern.slice(index));
      if (head) index += head[0].length - 1;
    } else if (char === ')') {
      const quantified = groups.pop() ?? false;
      if (quantified && /^[*+?{]/.test(pattern.slice(index + 1))) {
        return 'a quantified group holds a quantifier or an alternation (it can backtrack catastrophically)';
      }
      if (quantified && groups.length > 0) groups[groups.length - 1] = true;
    } else if (char === '*' || char === '+' || char === '?' || char === '{') {
      if (char === '{') {
        const bounds = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(index));
        if (!bounds) continue; // a literal '{'
        if (bounds[2] !== undefined && bounds[3] === '') unbounded += 1;
        index += bounds[0].length - 1;
      } else if (char !== '?') {
        unbounded += 1;
      }
      if (pattern[index + 1] === '?') index += 1; // lazy marker
      if (groups.length > 0) groups[groups.length - 1] = true;
    }
  }
  if (unbounded > MAX_SELECTOR_QUANTIFIERS) {
    return `the pattern holds more than ${MAX_SELECTOR_QUANTIFIERS} unbounded quantifiers`;
  }
  return undefined;
};

/** The selector as a full-match RegExp (`^(?:pattern)$`), as Smile matches the whole `Type/id`. */
export const compileIdSelector = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
