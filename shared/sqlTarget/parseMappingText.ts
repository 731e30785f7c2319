import { LineCounter, parseDocument } from 'yaml';
import { MappingError } from './errors.js';

/**
 * Parses a mapping file's text, YAML or JSON (JSON is YAML: one parser reads both, and it refuses the
 * duplicate keys `JSON.parse` would silently collapse). Every syntax problem is reported at once.
 *
 * @example
 * const value = parseMappingText(readFileSync('mapping.yaml', 'utf8'), 'mapping.yaml');
 */
export const parseMappingText = (text: string, source: string): unknown => {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (document.errors.length > 0)
    throw new MappingError(
      source,
      document.errors.map((error) => {
        const { line, col } = lineCounter.linePos(error.pos[0]);
        return `line ${line}, column ${col}: ${error.message}`;
      }),
    );
  try {
    // Aliases are capped so a small file cannot expand into a huge value ("billion laughs").
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new MappingError(source, [`(file): ${error instanceof Error ? error.message : 'cannot be read'}`]);
  }
};
