import { parseNamedEntries } from '../config/parseNamedEntries.js';

/**
 * Delivery transforms (seed 001's custom deliverer class, as a function): allow-listed in the
 * configuration by name, named by a Subscription with the `subscription-transform` extension.
 */

/** A transform's name: what a Subscription's extension names and the configuration lists. */
export const TRANSFORM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A Lambda function ARN, optionally with a version or alias. */
export const LAMBDA_FUNCTION_ARN_PATTERN =
  /^arn:aws[a-z-]*:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]{1,64}(?::[A-Za-z0-9$_-]{1,128})?$/;

/** Transform name -> the Lambda function ARN that runs it. */
export type TransformFunctions = ReadonlyMap<string, string>;

/**
 * Parses `name=functionArn` entries, comma-separated (env DELIVERY_TRANSFORMS, written from
 * `delivery.transforms`). Throws naming the position of a bad entry, never its value.
 *
 * @example
 * parseTransforms('mask=arn:aws:lambda:us-east-1:111111111111:function:mask-phone')
 */
export const parseTransforms = (raw: string): Map<string, string> =>
  parseNamedEntries(raw, {
    namePattern: TRANSFORM_NAME_PATTERN,
    value: (arn) => (LAMBDA_FUNCTION_ARN_PATTERN.test(arn) ? arn : undefined),
    entry: 'Transform',
    shape: 'name=arn:{partition}:lambda:{region}:{account}:function:{name}',
    name: 'name',
  });
