import { describeDlqMessage } from '../../shared/operator/describeDlqMessage.js';
import { peekMessages } from '../../shared/operator/peekMessages.js';
import { redriveDlq } from '../../shared/operator/redriveDlq.js';
import { sqsClientFor } from '../cliConfig.js';
import { integer, needQueue, print, type Command } from '../cliIo.js';
import { UsageError } from '../usage.js';

/**
 * `hlc dlq list|redrive`: the delivery DLQ, or with `--backfill` the backfill DLQ (notification reads the
 * source kept failing, with their cause; a redrive sends them back to the worker, which reads them again).
 */
export const dlq: Command = async (context) => {
  const { sub, values, config, io } = context;
  const backfill = values.backfill === true;
  const sqs = sqsClientFor(config);
  try {
    const dlqUrl = backfill
      ? needQueue(config, config.backfillDlqUrl, 'backfill DLQ', 'backfill-dlq-url', 'HLC_BACKFILL_DLQ_URL')
      : needQueue(config, config.dlqUrl, 'DLQ', 'dlq-url', 'HLC_DLQ_URL');
    if (sub === 'list') {
      const messages = await peekMessages(sqs, dlqUrl, { max: integer(values.max, 'max', 100) });
      const entries = messages.map((message) =>
        describeDlqMessage(message, { showContent: values['show-content'] === true }),
      );
      print(context, entries, () => {
        io.out(`${entries.length} message(s) in the ${backfill ? 'backfill ' : ''}DLQ`);
        for (const entry of entries) {
          io.out(
            `${entry.messageId}  ${entry.sentAt ?? ''}  ${entry.operation ?? '?'} ${entry.resource ?? '?'}` +
              `${entry.versionId ? ` v${entry.versionId}` : ''}` +
              // A dead-lettered read has no Subscription yet: it is matched once read.
              `${backfill && !entry.subscriptionId ? '' : `  subscription ${entry.subscriptionId ?? '?'}`}` +
              // The recorded attempt, not SQS's receive count: listing is a receive and raises that.
              `  ${entry.attempts === undefined ? `receives ${entry.receiveCount ?? '?'} (each list adds one)` : `attempts ${entry.attempts}`}` +
              `\n    cause: ${entry.cause}`,
          );
          if (entry.content !== undefined) io.out(`    content: ${JSON.stringify(entry.content)}`);
        }
      });
      return 0;
    }
    if (sub === 'redrive') {
      const method = values.method ?? 'auto';
      if (method !== 'auto' && method !== 'move-task' && method !== 'copy') {
        throw new UsageError('--method must be auto, move-task or copy');
      }
      const result = await redriveDlq(sqs, {
        dlqUrl,
        sourceQueueUrl: backfill
          ? needQueue(
              config,
              config.backfillQueueUrl,
              'backfill queue',
              'backfill-queue-url',
              'HLC_BACKFILL_QUEUE_URL',
            )
          : needQueue(
              config,
              config.deliveryQueueUrl,
              'delivery queue',
              'delivery-queue-url',
              'HLC_DELIVERY_QUEUE_URL',
            ),
        method,
        wait: values['no-wait'] !== true,
        ...(values.max ? { max: integer(values.max, 'max', 1) } : {}),
      });
      print(context, result, () => {
        io.out(
          `redrive (${result.method}${result.taskHandle ? ` task ${result.taskHandle}` : ''}): moved ${result.moved}, failed ${result.failed}`,
        );
        for (const failure of result.failures) io.out(`  ${failure}`);
      });
      return result.failed > 0 ? 1 : 0;
    }
    throw new UsageError('dlq needs a subcommand: list | redrive');
  } finally {
    sqs.destroy();
  }
};
