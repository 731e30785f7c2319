import type { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from './isConditionalCheckFailed.js';

/** Sends a conditional update: true when applied, false when its condition did not hold. */
export const sendConditional = async (
  client: Pick<DynamoDBDocumentClient, 'send'>,
  command: UpdateCommand,
): Promise<boolean> => {
  try {
    await client.send(command);
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
};
