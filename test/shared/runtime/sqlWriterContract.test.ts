import { describe, expect, it } from 'vitest';
import { ENV } from '../../../shared/config/constants.js';
import { readEnv } from '../../../shared/config/envVar.js';
import { SQL_WRITER_CONTRACT, sqlWriterRules } from '../../../shared/runtime/sqlWriterContract.js';
import { SQL_WRITER_ENV } from '../../../shared/sqlWriter/constants.js';

const BASE = {
  AWS_REGION: 'us-east-1',
  [SQL_WRITER_ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/111111111111/hlc-sql.fifo',
  [SQL_WRITER_ENV.dlqUrl]: 'https://sqs.us-east-1.amazonaws.com/111111111111/hlc-sql-dlq.fifo',
  [SQL_WRITER_ENV.targetName]: 'warehouse',
  [SQL_WRITER_ENV.url]: 'postgres://writer@db.example.internal:5432/fhir',
  // Failed attempts per message (DynamoDeliveryAttempts), as the deliverer counts them.
  [ENV.stateTable]: 'hlc-state',
};
const read = (env: Record<string, string>) => readEnv(SQL_WRITER_CONTRACT, env, 'SQL writer', sqlWriterRules);

describe('Contract: the SQL writer environment', () => {
  it('reads a minimal environment with safe defaults: TLS verified, no schema change, two connections', () => {
    const values = read({ ...BASE, [SQL_WRITER_ENV.auth]: 'secret', [SQL_WRITER_ENV.secretId]: 'hlc/db' });
    expect(values).toMatchObject({
      auth: 'secret',
      tls: 'verify-full',
      applySchema: false,
      maxConnections: 2,
    });
  });

  it('lists every problem at once and never echoes the URL (it may hold a password)', () => {
    let message = '';
    try {
      read({
        ...BASE,
        [SQL_WRITER_ENV.targetName]: 'Not A Name',
        [SQL_WRITER_ENV.url]: 'mysql://root:hunter2@db/fhir',
        [SQL_WRITER_ENV.maxConnections]: '99',
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(SQL_WRITER_ENV.targetName);
    expect(message).toContain(SQL_WRITER_ENV.url);
    expect(message).toContain(SQL_WRITER_ENV.maxConnections);
    expect(message).not.toContain('hunter2');
  });

  it('refuses secret auth without a secret, IAM auth without TLS or user, and a password beside either', () => {
    const url = (text: string) => new URL(text);
    expect(sqlWriterRules({ auth: 'secret' })).toEqual([
      `${SQL_WRITER_ENV.auth}=secret needs ${SQL_WRITER_ENV.secretId}`,
    ]);
    expect(
      sqlWriterRules({ auth: 'iam', tls: 'off', url: url('postgres://db.example.internal/fhir') }),
    ).toEqual([expect.stringContaining('needs TLS'), expect.stringContaining('must name the database user')]);
    expect(
      sqlWriterRules({ auth: 'iam', tls: 'require', url: url('postgres://u:p@db.example.internal/fhir') }),
    ).toEqual([expect.stringContaining('must not hold a password')]);
    expect(sqlWriterRules({ auth: 'none', url: url('postgres://u:p@127.0.0.1/fhir') })).toEqual([]);
  });
});
