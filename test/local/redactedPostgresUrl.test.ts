import { describe, expect, it } from 'vitest';
import { redactedPostgresUrl } from '../../local/redactedPostgresUrl.js';

describe('Function: redactedPostgresUrl', () => {
  it('hides the password of a URL and echoes nothing that is not a URL', () => {
    expect(redactedPostgresUrl('postgres://app:secret@db:5432/fhir')).toBe('postgres://app:***@db:5432/fhir');
    expect(redactedPostgresUrl('postgres://app@127.0.0.1:5432/fhir')).toBe(
      'postgres://app@127.0.0.1:5432/fhir',
    );
    expect(redactedPostgresUrl('app:secret@db')).not.toContain('secret');
  });
});
