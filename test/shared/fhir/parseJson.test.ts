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
  it('refuses a malformed NDJSON line by file and line number, without its content, and reads the rest', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'hlc-send-'));
    const file = join(folder, 'patients.ndjson');
    await writeFile(file, '{"resourceType":"Patient","id":"a"}\n\n{"resourceType":"Patient","name":Smith}\n');
    const items = await readRequests(file);
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ method: 'PUT', path: 'Patient/a' });
    expect(items[1]).toEqual({
      source: 'patients.ndjson:3',
      problem: 'patients.ndjson:3 is not valid JSON',
      resources: 1,
    });
    expect(JSON.stringify(items[1])).not.toContain('Smith');
  });
});
