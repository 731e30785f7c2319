import { newToken } from '../../shared/operator/newToken.js';
import { print, type Command } from '../cliIo.js';
import { UsageError } from '../usage.js';

/** `hlc token create --name N --scope write|admin`: a new token and its entry for the token secret. */
export const token: Command = async (context) => {
  const { sub, values, io } = context;
  if (sub !== 'create') throw new UsageError('token needs a subcommand: create');
  const scope = values.scope ?? 'write';
  if (scope !== 'write' && scope !== 'admin') throw new UsageError('--scope must be write or admin');
  if (!values.name) throw new UsageError('token create needs --name (it names the token in logs)');
  let created;
  try {
    created = newToken(values.name, scope);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  print(context, created, () => {
    io.out(`token (give it to the ${scope === 'admin' ? 'operator' : 'producer'}; it is not shown again):`);
    io.out(`  ${created.token}`);
    io.out('entry for the "tokens" list of the token secret (holds only the hash):');
    io.out(`  ${JSON.stringify(created.entry)}`);
  });
  return 0;
};
