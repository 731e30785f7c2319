/** Keys no FHIR element has, that could reach an object's prototype in code that copies by key. */
const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** What is wrong with a parsed JSON body, if anything. */
export type JsonShapeProblem =
  { readonly kind: 'too-deep' } | { readonly kind: 'prototype-key'; readonly key: string };

/**
 * Walks a parsed JSON value once, without recursion, and reports the first problem: nesting deeper
 * than `maxDepth` (a 20,000-level body must not blow the stack here or anywhere after: hashing,
 * validation and `JSON.stringify` all recurse), or a `__proto__` / `constructor` / `prototype` key
 * (prototype pollution; no FHIR element is so named, and Medplum's validator lets them through).
 *
 * @example
 * jsonShapeProblem(JSON.parse(text), 100); // { kind: 'too-deep' } for `[[[[...]]]]` 101 levels deep
 */
export const jsonShapeProblem = (value: unknown, maxDepth: number): JsonShapeProblem | undefined => {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return { kind: 'too-deep' };
    if (Array.isArray(current)) {
      for (const child of current)
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      continue;
    }
    for (const [key, child] of Object.entries(current)) {
      if (PROTOTYPE_KEYS.has(key)) return { kind: 'prototype-key', key };
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return undefined;
};
