import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/outcomes.js';

/** R4 Subscription elements (plus `_x` primitive extension containers of the primitive ones). */
export const ROOT_ELEMENTS = new Set([
  'resourceType',
  'id',
  'meta',
  'implicitRules',
  'language',
  'text',
  'contained',
  'extension',
  'modifierExtension',
  'status',
  'contact',
  'end',
  'reason',
  'criteria',
  'error',
  'channel',
]);
export const ROOT_PRIMITIVES = new Set([
  'id',
  'implicitRules',
  'language',
  'status',
  'end',
  'reason',
  'criteria',
  'error',
]);
export const CHANNEL_ELEMENTS = new Set([
  'id',
  'extension',
  'modifierExtension',
  'type',
  'endpoint',
  'payload',
  'header',
]);
export const CHANNEL_PRIMITIVES = new Set(['type', 'endpoint', 'payload', 'header']);
/** FHIR `instant`: a full date-time with seconds and a zone. */
export const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every `modifierExtension` in the tree: the connector understands none, so each one is refused. */
export const findModifierExtensions = (value: unknown, path: string, found: string[]): void => {
  if (Array.isArray(value)) {
    value.forEach((item, index) => findModifierExtensions(item, `${path}[${index}]`, found));
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === 'modifierExtension' && child !== undefined && child !== null) {
      if (!Array.isArray(child) || child.length > 0) found.push(`${path}.modifierExtension`);
      continue;
    }
    findModifierExtensions(child, `${path}.${key}`, found);
  }
};

export const checkElements = (
  value: Record<string, unknown>,
  path: string,
  elements: ReadonlySet<string>,
  primitives: ReadonlySet<string>,
  issues: OperationOutcomeIssue[],
): void => {
  for (const key of Object.keys(value)) {
    const known = key.startsWith('_') ? primitives.has(key.slice(1)) : elements.has(key);
    if (!known)
      issues.push(issue('structure', `${path}.${key} is not an element of ${path}`, `${path}.${key}`));
  }
};

export const requireString = (
  value: unknown,
  path: string,
  issues: OperationOutcomeIssue[],
  required: boolean,
): string | undefined => {
  if (value === undefined) {
    if (required) issues.push(issue('required', `${path} is required`, path));
    return undefined;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    issues.push(issue('invalid', `${path} must be a non-empty string`, path));
    return undefined;
  }
  return value;
};

export const checkArrayOfObjects = (value: unknown, path: string, issues: OperationOutcomeIssue[]): void => {
  if (value === undefined) return;
  if (!Array.isArray(value) || !value.every(isObject)) {
    issues.push(issue('invalid', `${path} must be an array of objects`, path));
  }
};
