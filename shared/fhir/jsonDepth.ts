/**
 * How deeply `value` nests objects and arrays, counted without recursion and stopping as soon as
 * `limit` is exceeded: a 20,000-level body must not blow the stack here or anywhere after (hashing,
 * validation and `JSON.stringify` all recurse).
 *
 * @example
 * exceedsJsonDepth(JSON.parse(text), 100); // true for `[[[[...]]]]` 101 levels deep
 */
export const exceedsJsonDepth = (value: unknown, limit: number): boolean => {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
};
