import { createHash } from 'node:crypto';

/** sha256 (hex) of a bearer token: what the token store holds instead of the token. */
export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
