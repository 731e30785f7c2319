import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const INTEGER_KEYS = new Set(['valueInteger', 'valueUnsignedInt', 'valuePositiveInt']);
const INTEGER_TEXT = /^[+-]?\d{1,9}$/;

/** The coerced value of one extension element, or undefined when it needs no (or allows no) coercion. */
const coerce = (key: string, value: unknown): boolean | number | undefined => {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (key === 'valueBoolean' && (text === 'true' || text === 'false')) return text === 'true';
  if (INTEGER_KEYS.has(key) && INTEGER_TEXT.test(text)) return Number(text);
  return undefined;
};

/**
 * Smile CDR's documentation writes some extension values as JSON strings (`"valueInteger":"20"`,
 * `"valueBoolean":"true"`), which its parser accepts. This returns a copy of the Subscription whose
 * extensions (`Subscription.extension` and `Subscription.channel.extension`) hold such values as the
 * integer or boolean FHIR wants, plus one warning per value read that way. Anything else is left for the
 * validator to judge.
 *
 * @example
 * coerceExtensionValues(subscription).warnings[0].expression // ['Subscription.channel.extension[2].valueInteger']
 */
export const coerceExtensionValues = (
  subscription: Record<string, unknown>,
): { subscription: Record<string, unknown>; warnings: OperationOutcomeIssue[] } => {
  const warnings: OperationOutcomeIssue[] = [];
  const fix = (list: unknown, path: string): unknown => {
    if (!Array.isArray(list)) return list;
    return list.map((extension: unknown, index) => {
      if (!isObject(extension)) return extension;
      let copy: Record<string, unknown> | undefined;
      for (const [key, value] of Object.entries(extension)) {
        const coerced = coerce(key, value);
        if (coerced === undefined) continue;
        copy ??= { ...extension };
        copy[key] = coerced;
        const at = `${path}[${index}].${key}`;
        const kind = typeof coerced === 'boolean' ? 'a boolean' : 'an integer';
        warnings.push(issue('value', `${at} is a string; it was read as ${kind}`, at, 'warning'));
      }
      return copy ?? extension;
    });
  };
  const channel = subscription.channel;
  const result: Record<string, unknown> = { ...subscription };
  if (subscription.extension !== undefined) {
    result.extension = fix(subscription.extension, 'Subscription.extension');
  }
  if (isObject(channel) && channel.extension !== undefined) {
    result.channel = { ...channel, extension: fix(channel.extension, 'Subscription.channel.extension') };
  }
  return { subscription: result, warnings };
};
