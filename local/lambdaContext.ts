import type { Context } from 'aws-lambda';

/**
 * The Lambda `Context` local mode passes to a handler: the function's name and ARN in `region`,
 * the request id, and a `getRemainingTimeInMillis` counting down `timeoutMs` from now.
 */
export const localLambdaContext = (options: {
  functionName: string;
  requestId: string;
  timeoutMs: number;
  region: string;
}): Context => {
  const { functionName, requestId, timeoutMs, region } = options;
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};
