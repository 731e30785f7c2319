/**
 * A `postgres://` URL with its password, if any, replaced by `***` (for the banner and logs). Text that
 * is not a postgres:// URL is not echoed (`user:password@host` parses as a URL of scheme `user:`).
 *
 * @example
 * redactedPostgresUrl('postgres://app:secret@db:5432/fhir'); // 'postgres://app:***@db:5432/fhir'
 */
export const redactedPostgresUrl = (value: string): string => {
  try {
    const url = new URL(value);
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return '(not a postgres:// URL)';
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '(not a postgres:// URL)';
  }
};
