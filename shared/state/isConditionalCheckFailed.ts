/**
 * True for DynamoDB's answer to a failed `ConditionExpression`. Matched by name, not `instanceof`,
 * so it holds across duplicated SDK copies and for errors a DocumentClient re-throws.
 */
export const isConditionalCheckFailed = (error: unknown): boolean =>
  (error as { name?: unknown } | null | undefined)?.name === 'ConditionalCheckFailedException';
