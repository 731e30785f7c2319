import { outcomeDiagnostics } from '../../shared/operator/FhirApiClient.js';
import { resetVersions } from '../../shared/operator/ledgerOps.js';
import { confirmed, fail, print, type Command } from '../cliIo.js';
import { UsageError } from '../usage.js';

/** `hlc ledger reset <Type>[/<id>]`: `$reset-version`, so the next write of it is delivered. */
export const ledger: Command = async (context) => {
  const { sub, rest, io } = context;
  const target = rest[0];
  if (sub !== 'reset' || !target || rest.length > 1) {
    throw new UsageError('ledger needs: reset <Type> | reset <Type>/<id>');
  }
  // A whole type is a scan of every entry of that type: the next write of each is delivered again.
  const path = target.replace(/^\/+|\/+$/g, '');
  if (!path.includes('/')) {
    const question = `Reset the version ledger of every ${path} resource? The next write of each is delivered again.`;
    if (!(await confirmed(context, question))) {
      io.err(`ledger reset ${target}: not confirmed; nothing was changed`);
      return 1;
    }
  }
  const response = await resetVersions(context.api(), target);
  if (response.status !== 200) return fail(io, response.status, response.body);
  print(context, response.body, () => io.out(outcomeDiagnostics(response.body) ?? `reset ${target}`));
  return 0;
};
