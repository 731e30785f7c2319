import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { awsClientConfig } from '../../../local/standins/aws.js';
import { startIngestStack, type IngestStack } from '../../helpers/ingestStack.js';

/** Planted in every hostile input: it must never come back in an answer or a log line. */
const MARKER = 'HOSTILEx7731';
const MAX_BODY = 64 * 1024;

interface HostileCase {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** A raw string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

const patient = (fields: Record<string, unknown>) => ({ resourceType: 'Patient', id: 'p1', ...fields });
const transaction = (entry: unknown) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const nested = (levels: number) =>
  `{"resourceType":"Patient","id":"p1","extension":${'['.repeat(levels)}"${MARKER}"${']'.repeat(levels)}}`;

const CASES: readonly HostileCase[] = [
  // Malformed
  { name: 'unterminated JSON', method: 'PUT', path: 'Patient/p1', body: `{"name":[{"family":"${MARKER}"` },
  { name: 'JSON with a bare word', method: 'PUT', path: 'Patient/p1', body: `{"family":${MARKER}}` },
  { name: 'a JSON array', method: 'PUT', path: 'Patient/p1', body: [MARKER] },
  { name: 'a JSON string', method: 'PUT', path: 'Patient/p1', body: `"${MARKER}"` },
  { name: 'a JSON number', method: 'PUT', path: 'Patient/p1', body: '12345' },
  { name: 'JSON null', method: 'PUT', path: 'Patient/p1', body: 'null' },
  {
    name: 'no resourceType',
    method: 'PUT',
    path: 'Patient/p1',
    body: { id: 'p1', name: [{ family: MARKER }] },
  },
  { name: 'a numeric resourceType', method: 'PUT', path: 'Patient/p1', body: patient({ resourceType: 7 }) },
  {
    name: 'an unknown resourceType',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ resourceType: `X${MARKER}` }),
  },
  {
    name: 'a body type other than the URL type',
    method: 'PUT',
    path: 'Patient/p1',
    body: { resourceType: 'Observation', id: 'p1', status: 'final', code: { text: MARKER } },
  },
  {
    name: 'a body id other than the URL id',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ id: `${MARKER}-2` }),
  },
  {
    name: 'a text/plain body',
    method: 'PUT',
    path: 'Patient/p1',
    body: MARKER,
    headers: { 'content-type': 'text/plain' },
  },
  // Oversized and deeply nested
  {
    name: 'a body over the size limit',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ text: { div: MARKER.repeat(8000) } }),
  },
  { name: '20,000 levels of nesting', method: 'PUT', path: 'Patient/p1', body: nested(20_000) },
  { name: '101 levels of nesting', method: 'PUT', path: 'Patient/p1', body: nested(101) },
  // Wrong-typed elements
  {
    name: 'birthDate as a number',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ birthDate: 19700101, gender: MARKER }),
  },
  { name: 'active as a string', method: 'PUT', path: 'Patient/p1', body: patient({ active: MARKER }) },
  { name: 'name as a string', method: 'PUT', path: 'Patient/p1', body: patient({ name: MARKER }) },
  {
    name: 'meta.versionId as a number',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ meta: { versionId: 3 }, gender: MARKER }),
  },
  { name: 'an unknown element', method: 'PUT', path: 'Patient/p1', body: patient({ nickname: MARKER }) },
  {
    name: 'a far-future meta.lastUpdated',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ meta: { versionId: '9', lastUpdated: '9999-12-31T00:00:00Z' }, gender: MARKER }),
  },
  // Prototype pollution
  {
    name: '__proto__ in the body',
    method: 'PUT',
    path: 'Patient/p1',
    body: `{"resourceType":"Patient","id":"p1","__proto__":{"polluted":"${MARKER}"}}`,
  },
  {
    name: 'constructor.prototype in the body',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({ constructor: { prototype: { polluted: MARKER } } }),
  },
  {
    name: '__proto__ as resourceType',
    method: 'POST',
    path: 'Patient',
    body: { resourceType: '__proto__', polluted: MARKER },
  },
  {
    name: '__proto__ as the URL type',
    method: 'PUT',
    path: '__proto__/p1',
    body: patient({ gender: MARKER }),
  },
  {
    name: 'constructor as the URL type',
    method: 'PUT',
    path: 'constructor/p1',
    body: patient({ gender: MARKER }),
  },
  {
    name: '__proto__ as the URL id',
    method: 'PUT',
    path: 'Patient/__proto__',
    body: patient({ id: '__proto__', gender: MARKER }),
  },
  {
    name: '__proto__ as a transaction entry URL',
    method: 'POST',
    path: '',
    body: transaction([
      { resource: patient({ gender: MARKER }), request: { method: 'PUT', url: '__proto__/p1' } },
    ]),
  },
  // Path traversal and odd ids
  {
    name: 'an encoded traversal id',
    method: 'PUT',
    path: 'Patient/..%2F..%2Fadmin',
    body: patient({ gender: MARKER }),
  },
  {
    name: 'an encoded slash in the id',
    method: 'PUT',
    path: 'Patient/p1%2FObservation',
    body: patient({ gender: MARKER }),
  },
  { name: 'a dot-dot id', method: 'DELETE', path: 'Patient/..%2F' },
  { name: 'a dot id', method: 'DELETE', path: 'Patient/.%2F' },
  { name: 'an id with a space', method: 'PUT', path: 'Patient/a%20b', body: patient({ gender: MARKER }) },
  { name: 'an id with a NUL byte', method: 'PUT', path: 'Patient/p1%00', body: patient({ gender: MARKER }) },
  {
    name: 'a 65-character id',
    method: 'PUT',
    path: `Patient/${'a'.repeat(65)}`,
    body: patient({ gender: MARKER }),
  },
  {
    name: 'a traversal in a transaction entry URL',
    method: 'POST',
    path: '',
    body: transaction([
      { resource: patient({ gender: MARKER }), request: { method: 'PUT', url: 'Patient/../Observation/x' } },
    ]),
  },
  // Bundles and interactions the API refuses
  { name: 'transaction entries that are not an array', method: 'POST', path: '', body: transaction(MARKER) },
  {
    name: 'an unknown Bundle type',
    method: 'POST',
    path: '',
    body: { resourceType: 'Bundle', type: MARKER, entry: [] },
  },
  {
    name: 'a Bundle written as a resource',
    method: 'PUT',
    path: 'Bundle/b1',
    body: { resourceType: 'Bundle', id: 'b1', type: 'collection', identifier: { value: MARKER } },
  },
  { name: 'a conditional update', method: 'PUT', path: `Patient?identifier=${MARKER}`, body: patient({}) },
  {
    name: 'a conditional create',
    method: 'POST',
    path: 'Patient',
    body: patient({}),
    headers: { 'if-none-exist': `identifier=${MARKER}` },
  },
  {
    name: 'a version-aware update',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({}),
    headers: { 'if-match': `W/"${MARKER}"` },
  },
  { name: 'PATCH', method: 'PATCH', path: 'Patient/p1', body: patient({ gender: MARKER }) },
  {
    name: 'a wrong bearer token',
    method: 'PUT',
    path: 'Patient/p1',
    body: patient({}),
    headers: { authorization: `Bearer ${MARKER}` },
  },
];

describe('Hostile input through the real router (API Gateway stand-in, dynalite ledger, fauxqs queue)', () => {
  let stack: IngestStack;
  let dynamo: DynamoDBClient;
  const logged: string[] = [];

  beforeAll(async () => {
    const logger = new Logger({ serviceName: 'hostile', logLevel: 'DEBUG' });
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      vi.spyOn(logger, level).mockImplementation((...args: unknown[]) => {
        logged.push(JSON.stringify(args));
      });
    }
    stack = await startIngestStack({ prefix: 'hostile', ingestMaxBodyBytes: MAX_BODY, logger });
    dynamo = new DynamoDBClient(awsClientConfig(stack.aws.dynamoEndpoint));
  });

  afterAll(async () => {
    dynamo?.destroy();
    await stack?.stop();
  });

  it(`covers at least 30 hostile requests (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const hostile of CASES) {
    it(`refuses ${hostile.name}: 4xx OperationOutcome, nothing recorded or enqueued, nothing quoted`, async () => {
      logged.length = 0;
      const response = await stack.request(hostile.method, hostile.path, hostile.body, hostile.headers);
      const text = await response.text();
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
      expect((JSON.parse(text) as { resourceType?: string }).resourceType).toBe('OperationOutcome');
      expect(text).not.toContain(MARKER);
      expect(logged.join('\n')).not.toContain(MARKER);
      const { Count } = await dynamo.send(
        new ScanCommand({ TableName: stack.resources.stateTable, Select: 'COUNT' }),
      );
      expect(Count).toBe(0);
      expect(await stack.drainQueue()).toHaveLength(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('still accepts a valid write afterwards (the corpus did not break the stack)', async () => {
    const response = await stack.request('PUT', 'Patient/ok', { resourceType: 'Patient', id: 'ok' });
    expect(response.status).toBe(200);
    expect(await stack.drainQueue()).toHaveLength(1);
  });
});
