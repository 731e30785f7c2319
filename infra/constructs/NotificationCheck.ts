import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { ConnectorFunction, type ConnectorFunctionProps } from './ConnectorFunction.js';

export interface NotificationCheckProps extends Omit<ConnectorFunctionProps, 'description' | 'timeout'> {
  /** Minutes between checks (EventBridge `rate`). */
  readonly intervalMinutes: number;
}

/**
 * The heartbeat check of backport notifications: a function EventBridge invokes every
 * `intervalMinutes`, which catches up each source Subscription whose heartbeat is overdue. It reads
 * and writes only the source subscription states and starts jobs on the backfill (and reconcile)
 * queue; the stack binds those with their grants.
 */
export class NotificationCheck extends Construct {
  public readonly function: ConnectorFunction;
  public readonly rule: events.Rule;

  public constructor(scope: Construct, id: string, props: NotificationCheckProps) {
    super(scope, id);
    if (!(
      Number.isInteger(props.intervalMinutes) &&
      props.intervalMinutes >= 1 &&
      props.intervalMinutes <= 60
    )) {
      throw new Error(`NotificationCheck ${id}: intervalMinutes must be a whole number in [1, 60]`);
    }
    const { intervalMinutes, ...functionProps } = props;
    this.function = new ConnectorFunction(this, 'Function', {
      ...functionProps,
      description: 'Backport notifications: catches up source Subscriptions whose heartbeat is overdue',
      timeout: Duration.minutes(1),
    });
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Heartbeat check of the source Subscriptions the connector follows',
      schedule: events.Schedule.rate(Duration.minutes(intervalMinutes)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });
  }
}
