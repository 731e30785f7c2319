import { readFile, stat } from 'node:fs/promises';
import {
  createSubscription,
  deleteSubscription,
  explainSubscriptions,
  formatExplanation,
  formatSubscription,
  getSubscription,
  listSubscriptions,
  subscriptionsOf,
} from '../../shared/operator/subscriptionOps.js';
import { fail, type Command } from '../cliIo.js';
import { UsageError } from '../usage.js';

/** The largest resource file `subscriptions explain` reads (the ingest API's default body limit). */
const MAX_EXPLAIN_FILE_BYTES = 5 * 1024 * 1024;

/** `hlc subscriptions list|get|create|delete|explain`. */
export const subscriptions: Command = async (context) => {
  const { sub, rest, values, io, json } = context;
  const client = context.api();
  switch (sub) {
    case 'list': {
      const response = await listSubscriptions(client);
      if (response.status !== 200) return fail(io, response.status, response.body);
      const found = subscriptionsOf(response.body);
      if (json) io.out(JSON.stringify(found, null, 2));
      else {
        io.out(`${found.length} subscription(s)`);
        for (const subscription of found) io.out(formatSubscription(subscription));
      }
      return 0;
    }
    case 'get':
    case 'delete': {
      const id = rest[0];
      if (!id) throw new UsageError(`subscriptions ${sub} needs an id`);
      const response =
        sub === 'get' ? await getSubscription(client, id) : await deleteSubscription(client, id);
      if (response.status >= 300) return fail(io, response.status, response.body);
      if (sub === 'get')
        io.out(
          json
            ? JSON.stringify(response.body, null, 2)
            : formatSubscription(response.body as Record<string, unknown>),
        );
      else io.out(`deleted Subscription/${id}`);
      return 0;
    }
    case 'create': {
      if (!values.criteria || !values.endpoint) {
        throw new UsageError('subscriptions create needs --criteria and --endpoint');
      }
      const response = await createSubscription(client, {
        criteria: values.criteria,
        endpoint: values.endpoint,
        ...(values.id ? { id: values.id } : {}),
        sendDeleteMessages: values['no-deletes'] !== true,
        deliverLatestVersion: values['no-latest-version'] !== true,
        ...(values['retry-count'] ? { deliveryRetryCount: Number(values['retry-count']) } : {}),
        ...(values['strip-version-ids'] ? { stripVersionIds: true } : {}),
        ...(values['payload-search'] ? { payloadSearchCriteria: values['payload-search'] } : {}),
      });
      if (response.status >= 300) return fail(io, response.status, response.body);
      // Defaults filled in, extensions kept but not acted on, an over-limit retry count (HTTP Warning).
      const warning = response.headers.get('warning');
      if (warning) io.err(`warnings: ${warning}`);
      io.out(
        json
          ? JSON.stringify(response.body, null, 2)
          : formatSubscription(response.body as Record<string, unknown>),
      );
      return 0;
    }
    case 'explain': {
      const file = rest[0];
      if (!file) throw new UsageError('subscriptions explain needs a file holding a FHIR resource (JSON)');
      if ((await stat(file)).size > MAX_EXPLAIN_FILE_BYTES) {
        throw new UsageError(`subscriptions explain reads files of at most ${MAX_EXPLAIN_FILE_BYTES} bytes`);
      }
      let resource: unknown;
      try {
        resource = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        throw new UsageError('subscriptions explain needs a file holding a FHIR resource as JSON');
      }
      const response = await explainSubscriptions(client, resource);
      if (response.status !== 200) return fail(io, response.status, response.body);
      if (json) io.out(JSON.stringify(response.body, null, 2));
      else {
        const lines = formatExplanation(response.body);
        io.out(`${lines.length} active subscription(s); nothing was written`);
        for (const line of lines) io.out(line);
      }
      return 0;
    }
    default:
      throw new UsageError(
        'subscriptions needs a subcommand: list | get <id> | create | delete <id> | explain <file>',
      );
  }
};
