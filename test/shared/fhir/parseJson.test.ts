import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../../shared/fhir/parseJson.js';
import { readRequests } from '../../../shared/operator/sendResources.js';

describe('Function: parseJson', () => {
  it('parses valid JSON', () => {
    expect(parseJson('{"resourceType":"Patient"}', 'x')).toEqual({ resourceType: 'Patient' });
  });

  it('names the source and never quotes the text in its error', () => {
    expect(() => parseJson('{"name":Smith}', 'patients.json')).toThrow(
      new SyntaxError('patients.json is not valid JSON'),
    );
  });
});

describe('Function: readRequests (hlc send)', () => {
  it('reports a malformed NDJSON line by file and line number, without its content', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'hlc-send-'));
    const file = join(folder, 'patients.ndjson');
    await writeFile(file, '{"resourceType":"Patient","id":"a"}\n\n{"resourceType":"Patient","name":Smith}\n');
    const error = await readRequests(file).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toBe('patients.ndjson:3 is not valid JSON');
    expect((error as Error).message).not.toContain('Smith');
  });
});
