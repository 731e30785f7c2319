import {
  applySqlSchema,
  defaultMappingYaml,
  loadSqlMapping,
  sqlSchemaScript,
} from '../../shared/operator/sqlSchema.js';
import { checkSchema } from '../../shared/sqlTarget/checkSchema.js';
import { PgSqlClient } from '../../shared/sqlTarget/PgSqlClient.js';
import { print, type Command, type CommandContext } from '../cliIo.js';
import { UsageError } from '../usage.js';

/** `--sql-url`, else HLC_SQL_URL: a `postgres://` URL (a password may come from PGPASSWORD instead). */
const sqlUrl = (context: CommandContext): string => {
  const url = context.values['sql-url'] ?? context.io.env.HLC_SQL_URL;
  if (!url) throw new UsageError(`sql ${context.sub} needs --sql-url postgres://... (or HLC_SQL_URL)`);
  if (!/^postgres(ql)?:\/\//.test(url)) throw new UsageError('--sql-url must be a postgres:// URL');
  return url;
};

const withDatabase = async <T>(
  context: CommandContext,
  work: (client: PgSqlClient) => Promise<T>,
): Promise<T> => {
  const client = new PgSqlClient({ connectionString: sqlUrl(context), maxConnections: 1 });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
};

const reportProblems = (context: CommandContext, schema: string, problems: readonly string[]): number => {
  print(context, { schema, problems }, () => {
    if (problems.length === 0)
      context.io.out(`schema "${schema}" has every table and column the mapping writes`);
    else for (const problem of problems) context.io.err(problem);
  });
  return problems.length === 0 ? 0 : 1;
};

/**
 * `hlc sql schema [--mapping f] [--schema s] [--foreign-keys] [--apply --sql-url u]`: the DDL the SQL
 * transformers need (printed, or run and checked); `hlc sql check`: what an existing schema lacks;
 * `hlc sql mapping`: the default transformers as YAML.
 */
export const sql: Command = async (context) => {
  const { sub, values, io } = context;
  const choice = {
    ...(values.mapping === undefined ? {} : { file: values.mapping }),
    ...(values.schema === undefined ? {} : { schema: values.schema }),
  };
  const ddl = { foreignKeys: values['foreign-keys'] === true };
  switch (sub) {
    case 'mapping':
      io.out(defaultMappingYaml());
      return 0;
    case 'schema': {
      const mapping = await loadSqlMapping(choice);
      if (values.apply !== true) {
        io.out(sqlSchemaScript(mapping, ddl));
        return 0;
      }
      const problems = await withDatabase(context, (client) => applySqlSchema(client, mapping, ddl));
      return reportProblems(context, mapping.schema, problems);
    }
    case 'check': {
      const mapping = await loadSqlMapping(choice);
      const problems = await withDatabase(context, (client) => checkSchema(client, mapping));
      return reportProblems(context, mapping.schema, problems);
    }
    default:
      throw new UsageError('sql needs a subcommand: schema, check or mapping');
  }
};
