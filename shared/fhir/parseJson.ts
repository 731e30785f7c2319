/**
 * `JSON.parse` whose error never quotes the input: V8's SyntaxError message includes a slice of the
 * text, which may be resource content (PHI) and would then reach logs or the terminal.
 *
 * @example
 * const resource = parseJson(text, 'patients.ndjson:3');
 */
export const parseJson = (text: string, source: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    throw new SyntaxError(`${source} is not valid JSON`);
  }
};
