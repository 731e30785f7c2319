/** A response body read up to a byte cap. */
export type CappedBody =
  /** `error`: the stream failed before its end (a reset connection, a timeout), worth a retry. */
  { readonly tooLarge: false; readonly text: string; readonly error?: unknown } | { readonly tooLarge: true };

/**
 * Reads a response body as UTF-8 text while it streams, and stops (cancelling the stream, which closes
 * the connection) as soon as it passes `maxBytes`, or at once when `Content-Length` already says so. At
 * most `maxBytes` plus one chunk is ever held, whatever the server sends.
 *
 * @example
 * const body = await readCappedBody(response, 32 * 1024 * 1024);
 * if (body.tooLarge) throw new PermanentSourceError('...');
 */
export const readCappedBody = async (response: Response, maxBytes: number): Promise<CappedBody> => {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return { tooLarge: true };
  }
  if (!response.body) return { tooLarge: false, text: '' };
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let received = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > maxBytes) {
        await reader.cancel().catch(() => undefined);
        return { tooLarge: true };
      }
      parts.push(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    return { tooLarge: false, text: '', error };
  }
  parts.push(decoder.decode());
  return { tooLarge: false, text: parts.join('') };
};
