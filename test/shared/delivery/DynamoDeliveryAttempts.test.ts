import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDeliveryAttempts } from '../../../shared/delivery/DynamoDeliveryAttempts.js';

// The failed-attempt counter's command and its answer, without a table (tableActions.test.ts runs
// the same item against dynalite).
const NOW = Date.parse('2026-01-01T00:00:00.500Z');

/** A document client answering `attributes` to the UpdateItem, recording its input. */
const answering = (attributes: Record<string, unknown> | undefined) => {
  const inputs: UpdateCommand['input'][] = [];
  const documents = {
    send: async (command: UpdateCommand) => {
      expect(command).toBeInstanceOf(UpdateCommand);
      inputs.push(command.input);
      return { Attributes: attributes };
    },
  };
  return { attempts: new DynamoDeliveryAttempts(documents as never, 'state', () => NOW), inputs };
};

describe('DynamoDeliveryAttempts', () => {
  it('adds one failed attempt to the message item and returns the new count, expiring after 15 days', async () => {
    const { attempts, inputs } = answering({ attempts: 3 });
    expect(await attempts.failed('msg-1')).toBe(3);
    expect(inputs).toEqual([
      {
        TableName: 'state',
        Key: { pk: 'MSG#msg-1', sk: 'ATTEMPTS' },
        UpdateExpression: 'ADD attempts :one SET expiresAt = :expires',
        ExpressionAttributeValues: { ':one': 1, ':expires': Math.floor(NOW / 1000) + 15 * 24 * 3600 },
        ReturnValues: 'UPDATED_NEW',
      },
    ]);
  });

  it('takes a count of 1, and refuses an answer without a whole positive count', async () => {
    expect(await answering({ attempts: 1 }).attempts.failed('m')).toBe(1);
    for (const attributes of [undefined, {}, { attempts: 0 }, { attempts: 1.5 }, { attempts: 'x' }]) {
      await expect(answering(attributes).attempts.failed('m')).rejects.toThrow(
        'DynamoDB returned no attempt count',
      );
    }
  });
});
