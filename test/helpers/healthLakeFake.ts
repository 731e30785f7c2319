import type { HealthLakeApi, HealthLakeResponse, RequestOptions } from '../../shared/healthlake/types.js';

export interface FakeCall {
  /** `POST` is a transaction Bundle to the base (resourceType `Bundle`, id empty). */
  method: 'PUT' | 'DELETE' | 'POST';
  resourceType: string;
  id: string;
  body?: unknown;
}

type Responder = (call: FakeCall) => HealthLakeResponse | Error;

/**
 * An in-process HealthLakeApi: records calls, answers 200/204 unless a responder says otherwise.
 */
export class FakeHealthLake implements HealthLakeApi {
  public readonly calls: FakeCall[] = [];
  /** The per-request options of each call, in the order of `calls`. */
  public readonly requestOptions: (RequestOptions | undefined)[] = [];
  public responder: Responder = (call) => ({ status: call.method === 'DELETE' ? 204 : 200, latencyMs: 3 });

  public async put(
    resourceType: string,
    id: string,
    body: string,
    options?: RequestOptions,
  ): Promise<HealthLakeResponse> {
    return this.answer({ method: 'PUT', resourceType, id, body: JSON.parse(body) }, options);
  }

  public async delete(
    resourceType: string,
    id: string,
    options?: RequestOptions,
  ): Promise<HealthLakeResponse> {
    return this.answer({ method: 'DELETE', resourceType, id }, options);
  }

  public async transaction(body: string, options?: RequestOptions): Promise<HealthLakeResponse> {
    return this.answer({ method: 'POST', resourceType: 'Bundle', id: '', body: JSON.parse(body) }, options);
  }

  private answer(call: FakeCall, options: RequestOptions | undefined): HealthLakeResponse {
    this.calls.push(call);
    this.requestOptions.push(options);
    const result = this.responder(call);
    if (result instanceof Error) throw result;
    return result;
  }
}
