/**
 * `Events`: the Warden EventBridge bus (where Warden publishes "Warden Drift Detected" and later findings) and the
 * rule that brings CloudTrail management events from the account's default bus into ingestion.
 */
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

export interface EventsProps {
  /** Where CloudTrail management events go: the ingestion queue, as a retried, dead-lettered target. */
  cloudTrailTarget: events.IRuleTarget;
}

export class Events extends Construct {
  readonly bus: events.EventBus;
  readonly cloudTrailRule: events.Rule;

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', { description: 'Warden: drift and finding events' });
    // CloudTrail delivers management events to the default bus of each region; every service's calls match.
    this.cloudTrailRule = new events.Rule(this, 'CloudTrailManagementEvents', {
      description: 'Warden: CloudTrail management events to ingestion',
      eventPattern: { detailType: [CLOUDTRAIL_DETAIL_TYPE] },
      targets: [props.cloudTrailTarget],
    });
  }
}
