/**
 * Replaces quoted fragments of a diagnostic text with a placeholder. Validators and servers (Medplum's
 * validator, HealthLake) quote the offending value, which may be resource content (PHI): the text
 * keeps naming the element and the rule, never the value.
 *
 * @example
 * scrubQuotedValues('Invalid reference "Patient/Smith"'); // 'Invalid reference (value omitted)'
 */
export const scrubQuotedValues = (text: string): string =>
  text.replace(/"[^"]*"|'[^']*'|“[^”]*”/g, '(value omitted)');
