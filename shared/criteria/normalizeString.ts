const COMBINING_MARKS = /\p{M}/gu;
const ASCII = /^[\x20-\x7e]*$/;

/**
 * FHIR string search folding: case- and accent-insensitive (`Zoë` -> `zoe`). Canonical decomposition
 * then dropping combining marks; the ASCII fast path skips both.
 */
export const normalizeString = (value: string): string =>
  ASCII.test(value) ? value.toLowerCase() : value.normalize('NFD').replace(COMBINING_MARKS, '').toLowerCase();
