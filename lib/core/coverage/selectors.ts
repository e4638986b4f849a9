/**
 * What a trail's event selectors capture. Classic selectors (EventSelectors) cover management events and S3 /
 * Lambda / DynamoDB data events; advanced selectors (AdvancedEventSelectors) are the only way to log Bedrock data
 * events. A trail has one kind or the other.
 */
import type { AdvancedEventSelector, FieldSelector, TrailInfo } from './types.ts';

export type Capture = 'all' | 'partial' | 'none';

/** Read and write management events logged by the trail. */
export function managementCapture(trail: TrailInfo): { read: boolean; write: boolean } {
  if (trail.advancedEventSelectors.length > 0) {
    let read = false;
    let write = false;
    for (const s of trail.advancedEventSelectors) {
      if (!categoryIs(s, 'Management')) continue;
      const ro = field(s, 'readOnly');
      const only = ro?.equals?.[0];
      if (only === 'true') read = true;
      else if (only === 'false') write = true;
      else {
        read = true;
        write = true;
      }
    }
    return { read, write };
  }
  // A trail created without selectors logs all management events (CloudTrail's default selector).
  if (trail.eventSelectors.length === 0) return { read: true, write: true };
  let read = false;
  let write = false;
  for (const s of trail.eventSelectors) {
    if (s.includeManagementEvents === false) continue;
    const rw = s.readWriteType ?? 'All';
    if (rw === 'All' || rw === 'ReadOnly') read = true;
    if (rw === 'All' || rw === 'WriteOnly') write = true;
  }
  return { read, write };
}

/** Prefixes meaning "every resource of the type" in classic data resource values. */
const ALL_VALUES: Record<string, string[]> = {
  'AWS::S3::Object': ['arn:aws:s3', 'arn:aws:s3:::', 'arn:aws-us-gov:s3', 'arn:aws-cn:s3'],
  'AWS::Lambda::Function': ['arn:aws:lambda', 'arn:aws-us-gov:lambda', 'arn:aws-cn:lambda'],
  'AWS::DynamoDB::Table': ['arn:aws:dynamodb', 'arn:aws-us-gov:dynamodb', 'arn:aws-cn:dynamodb'],
};

/** How much of a data resource type (e.g. `AWS::Bedrock::AgentAlias`) the trail logs. */
export function dataCapture(trail: TrailInfo, resourceType: string): Capture {
  let best: Capture = 'none';
  const raise = (c: Capture) => {
    if (c === 'all' || (c === 'partial' && best === 'none')) best = c;
  };
  if (trail.advancedEventSelectors.length > 0) {
    for (const s of trail.advancedEventSelectors) {
      if (!categoryIs(s, 'Data')) continue;
      const type = field(s, 'resources.type');
      if (!type?.equals?.includes(resourceType)) continue;
      // Any other condition (ARNs, readOnly, event names) narrows what is logged.
      const narrowing = s.fieldSelectors.filter((f) => f.field !== 'eventCategory' && f.field !== 'resources.type');
      raise(narrowing.length === 0 ? 'all' : 'partial');
    }
    return best;
  }
  for (const s of trail.eventSelectors) {
    for (const r of s.dataResources ?? []) {
      if (r.type !== resourceType || r.values.length === 0) continue;
      const everything = r.values.some((v) => (ALL_VALUES[resourceType] ?? []).includes(v));
      const bothDirections = (s.readWriteType ?? 'All') === 'All';
      raise(everything && bothDirections ? 'all' : 'partial');
    }
  }
  return best;
}

/** Whether the trail records events of `region`. */
export function coversRegion(trail: TrailInfo, region: string): boolean {
  return trail.multiRegion || trail.homeRegion === undefined || trail.homeRegion === region;
}

function field(s: AdvancedEventSelector, name: string): FieldSelector | undefined {
  return s.fieldSelectors.find((f) => f.field === name);
}

function categoryIs(s: AdvancedEventSelector, category: 'Management' | 'Data'): boolean {
  return field(s, 'eventCategory')?.equals?.includes(category) ?? false;
}
