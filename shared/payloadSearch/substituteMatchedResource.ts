import { resourceKey } from '../fhir/ids.js';
import { MATCHED_RESOURCE_ID } from './constants.js';

/**
 * The payload search URL for one matched resource: `${matched_resource_id}` replaced by the resource's
 * relative id, `Type/id`, as HAPI FHIR does (its documentation: "the relative ID of the resource that
 * matched the subscription"), so a reference parameter such as `subject=${matched_resource_id}` works
 * on any server. Inside the value of `_id`, whose values are bare ids in FHIR search, it is replaced by
 * the id alone: HAPI strips the type there itself, other servers (HealthLake among them) do not.
 *
 * @example
 * substituteMatchedResource('Observation?_id=${matched_resource_id}&_include=*', 'Observation', '3')
 * // 'Observation?_id=3&_include=*'
 */
export const substituteMatchedResource = (criteria: string, resourceType: string, id: string): string => {
  const question = criteria.indexOf('?');
  const path = criteria.slice(0, question + 1);
  const relative = resourceKey(resourceType, id);
  const parameters = criteria
    .slice(question + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part.split(MATCHED_RESOURCE_ID).join(relative);
      const name = part.slice(0, eq);
      const isId = (name.split(':')[0] ?? name) === '_id';
      return `${name.split(MATCHED_RESOURCE_ID).join(relative)}=${part
        .slice(eq + 1)
        .split(MATCHED_RESOURCE_ID)
        .join(isId ? id : relative)}`;
    });
  return `${path}${parameters.join('&')}`;
};
