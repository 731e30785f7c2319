import { NOTIFICATION_LIMITS } from './constants.js';
import { at, eachNamed, isObject, type Problems, readCounter, readValue } from './parameterValues.js';
import { parseEventTime } from './parseEventTime.js';
import { parseResourceReference, type ReferenceRules } from './parseResourceReference.js';
import type { EventTime, ResourceRef } from './types.js';

/** A focus or additional-context target: a checked resource reference, or a `urn:` naming a Bundle entry. */
export type EventTarget =
  { readonly ref: ResourceRef; readonly path: string } | { readonly urn: string; readonly path: string };

/** One `notification-event` as written, before its `urn:` targets are resolved against the entries. */
export interface RawEvent {
  readonly eventNumber?: number;
  readonly timestamp?: EventTime;
  readonly focus?: EventTarget;
  readonly additionalContext: readonly EventTarget[];
}

const TIME_KEYS = ['valueInstant', 'valueDateTime', 'valueDate'];

/** A Reference value: its checked target, nothing for a non-FHIR focus (identifier only), or a problem. */
const targetOf = (
  part: Record<string, unknown>,
  path: string,
  what: string,
  rules: ReferenceRules,
  problems: Problems,
): EventTarget | undefined => {
  const found = readValue(part, ['valueReference'], path, what, problems);
  if (!found || !isObject(found.value)) return found && problems.add(`${what} must be a Reference`, path);
  const reference = found.value['reference'];
  // The IG lets a focus name a non-FHIR object; with no reference there is nothing to read or replicate.
  if (reference === undefined) return undefined;
  const where = `${path}.valueReference.reference`;
  const parsed = parseResourceReference(reference, rules);
  switch (parsed.kind) {
    case 'resource':
      return { ref: parsed.ref, path: where };
    case 'urn':
      return { urn: reference as string, path: where };
    case 'problem':
      return parsed.problem === 'origin'
        ? problems.add(`${what} points at an origin that is not allowed`, where, 'security')
        : problems.add(`${what} must reference an R4 resource type and a valid id`, where);
    default:
      return problems.add(`${what} must reference a resource instance`, where);
  }
};

/**
 * Reads one `notification-event` parameter: `event-number` (required), `timestamp`, `focus` and
 * `additional-context`. Problems go to `problems`; the event is returned even with problems so the
 * caller can report them all at once.
 */
export const parseEvent = (
  parameter: Record<string, unknown>,
  path: string,
  rules: ReferenceRules,
  problems: Problems,
): RawEvent | undefined => {
  const parts = parameter['part'];
  if (!Array.isArray(parts) || parts.length === 0)
    return problems.add('notification-event has no part', path);
  if (parts.length > NOTIFICATION_LIMITS.maxEventParts) {
    return problems.add(`notification-event has more than ${NOTIFICATION_LIMITS.maxEventParts} parts`, path);
  }
  let eventNumber: number | undefined;
  let timestamp: EventTime | undefined;
  let focus: EventTarget | undefined;
  const additionalContext: EventTarget[] = [];
  const seen = eachNamed(
    parts,
    (index) => `${path}.part[${index}]`,
    (name) => name !== 'additional-context',
    problems,
    (name, part, where) => {
      if (name === 'event-number') {
        eventNumber = readCounter(part, where, name, problems);
      } else if (name === 'timestamp') {
        const found = readValue(part, TIME_KEYS, where, name, problems);
        timestamp =
          found &&
          (parseEventTime(found.value) ??
            problems.add(`${name} must be a FHIR instant`, at(where, found.key)));
      } else if (name === 'focus') {
        focus = targetOf(part, where, name, rules, problems);
      } else if (name === 'additional-context') {
        const target = targetOf(part, where, name, rules, problems);
        if (target) additionalContext.push(target);
      }
    },
  );
  if (!seen.has('event-number')) problems.add('notification-event has no event-number', path);
  return {
    ...(eventNumber === undefined ? {} : { eventNumber }),
    ...(timestamp === undefined ? {} : { timestamp }),
    ...(focus === undefined ? {} : { focus }),
    additionalContext,
  };
};
