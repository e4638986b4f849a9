import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoverageInput, checkCoverage, type TrailInfo } from '../../../lib/core/coverage/index.ts';
import { dataCapture, managementCapture } from '../../../lib/core/coverage/selectors.ts';

const NOW = '2026-11-28T06:00:00.000Z';

function input(over: Partial<CoverageInput> = {}): CoverageInput {
  return {
    region: 'us-east-1',
    now: NOW,
    trails: [],
    flowLogs: [],
    clusters: [],
    nodeAgents: [],
    readErrors: [],
    ...over,
  };
}

function trail(over: Partial<TrailInfo> = {}): TrailInfo {
  return { name: 't', multiRegion: true, logging: true, eventSelectors: [], advancedEventSelectors: [], ...over };
}

const dataSel = (type: string, extra: { field: string; equals?: string[]; startsWith?: string[] }[] = []) => ({
  fieldSelectors: [{ field: 'eventCategory', equals: ['Data'] }, { field: 'resources.type', equals: [type] }, ...extra],
});

function status(i: CoverageInput): Record<string, string> {
  return Object.fromEntries(checkCoverage(i).checks.map((c) => [`${c.check}@${c.target}`, c.status]));
}

describe('trail selectors', () => {
  it.each([
    ['no selectors: CloudTrail default logs all management events', trail(), { read: true, write: true }],
    [
      'classic WriteOnly',
      trail({ eventSelectors: [{ readWriteType: 'WriteOnly', includeManagementEvents: true }] }),
      { read: false, write: true },
    ],
    [
      'classic management excluded',
      trail({ eventSelectors: [{ readWriteType: 'All', includeManagementEvents: false }] }),
      { read: false, write: false },
    ],
    [
      'advanced read-only management',
      trail({
        advancedEventSelectors: [
          {
            fieldSelectors: [
              { field: 'eventCategory', equals: ['Management'] },
              { field: 'readOnly', equals: ['true'] },
            ],
          },
        ],
      }),
      { read: true, write: false },
    ],
    [
      'advanced data only',
      trail({ advancedEventSelectors: [dataSel('AWS::S3::Object')] }),
      { read: false, write: false },
    ],
  ])('%s', (_name, t, expected) => {
    expect(managementCapture(t)).toEqual(expected);
  });

  it.each([
    [
      'classic all S3 objects',
      trail({
        eventSelectors: [
          { readWriteType: 'All', dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] },
        ],
      }),
      'AWS::S3::Object',
      'all',
    ],
    [
      'classic one bucket',
      trail({ eventSelectors: [{ dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3:::b/'] }] }] }),
      'AWS::S3::Object',
      'partial',
    ],
    [
      'classic all objects, write only',
      trail({
        eventSelectors: [
          { readWriteType: 'WriteOnly', dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] },
        ],
      }),
      'AWS::S3::Object',
      'partial',
    ],
    [
      'advanced agent aliases',
      trail({ advancedEventSelectors: [dataSel('AWS::Bedrock::AgentAlias')] }),
      'AWS::Bedrock::AgentAlias',
      'all',
    ],
    [
      'advanced agent alias prefix',
      trail({
        advancedEventSelectors: [
          dataSel('AWS::Bedrock::AgentAlias', [
            { field: 'resources.ARN', startsWith: ['arn:aws:bedrock:us-east-1:1:agent-alias/A/'] },
          ]),
        ],
      }),
      'AWS::Bedrock::AgentAlias',
      'partial',
    ],
    [
      'classic selectors cannot log Bedrock',
      trail({ eventSelectors: [{ dataResources: [{ type: 'AWS::S3::Object', values: ['arn:aws:s3'] }] }] }),
      'AWS::Bedrock::AgentAlias',
      'none',
    ],
  ])('%s', (_name, t, type, expected) => {
    expect(dataCapture(t, type)).toBe(expected);
  });

  it('never reports full capture when a selector narrows by ARN or direction', () => {
    const narrowing = fc.constantFrom('resources.ARN', 'readOnly', 'eventName', 'userIdentity.arn');
    fc.assert(
      fc.property(fc.array(narrowing, { minLength: 1, maxLength: 3 }), (fields) => {
        const t = trail({
          advancedEventSelectors: [
            dataSel(
              'AWS::S3::Object',
              fields.map((field) => ({ field, equals: ['x'] })),
            ),
          ],
        });
        return dataCapture(t, 'AWS::S3::Object') === 'partial';
      }),
    );
  });
});

describe('coverage rules', () => {
  it('no trail at all: management and every data event type missing, each naming what it hides', () => {
    const r = checkCoverage(input({ bedrockLogging: { configured: false } }));
    expect(r.gaps.map((g) => [g.check, g.status])).toEqual([
      ['management-events', 'missing'],
      ['s3-data-events', 'missing'],
      ['lambda-data-events', 'missing'],
      ['bedrock-data-events', 'missing'],
      ['bedrock-kb-data-events', 'missing'],
      ['bedrock-invocation-logging', 'missing'],
    ]);
    for (const g of r.gaps) expect(g.hides.length).toBeGreaterThan(20);
    expect(r.gaps.find((g) => g.check === 'bedrock-data-events')!.hides).toContain(
      'no Bedrock data events = no InvokeAgent',
    );
  });

  it('a stopped trail or one in another region does not count', () => {
    expect(status(input({ trails: [trail({ logging: false })] }))['management-events@account']).toBe('missing');
    expect(
      status(input({ trails: [trail({ multiRegion: false, homeRegion: 'eu-west-1' })] }))['management-events@account'],
    ).toBe('missing');
  });

  it('full coverage: no gaps', () => {
    const t = trail({
      advancedEventSelectors: [
        { fieldSelectors: [{ field: 'eventCategory', equals: ['Management'] }] },
        ...['AWS::S3::Object', 'AWS::Lambda::Function', 'AWS::Bedrock::AgentAlias', 'AWS::Bedrock::KnowledgeBase'].map(
          (x) => dataSel(x),
        ),
      ],
    });
    const r = checkCoverage(
      input({
        trails: [t],
        bedrockLogging: { configured: true, s3BucketName: 'logs', textDelivery: true },
        clusters: [{ name: 'prod', vpcId: 'vpc-1' }],
        flowLogs: [{ id: 'fl-1', resourceId: 'vpc-1', trafficType: 'ALL', active: true }],
        nodeAgents: [{ cluster: 'prod', lastReport: '2026-11-28T05:58:00.000Z' }],
      }),
    );
    expect(r.gaps).toEqual([]);
  });

  it.each([
    ['no flow log', [], 'missing'],
    ['ACCEPT only', [{ id: 'f', resourceId: 'vpc-1', trafficType: 'ACCEPT' as const, active: true }], 'partial'],
    ['inactive', [{ id: 'f', resourceId: 'vpc-1', trafficType: 'ALL' as const, active: false }], 'missing'],
    ['other VPC', [{ id: 'f', resourceId: 'vpc-2', trafficType: 'ALL' as const, active: true }], 'missing'],
  ])('flow logs: %s -> %s', (_n, flowLogs, expected) => {
    expect(
      status(input({ clusters: [{ name: 'prod', vpcId: 'vpc-1' }], flowLogs }))['vpc-flow-logs@cluster:prod'],
    ).toBe(expected);
  });

  it.each([
    [undefined, 'missing'],
    ['2026-11-28T05:50:00.000Z', 'ok'],
    ['2026-11-28T04:00:00.000Z', 'partial'],
  ])('node agents last reporting %s -> %s', (lastReport, expected) => {
    const i = input({ clusters: [{ name: 'prod', vpcId: 'vpc-1' }], nodeAgents: [{ cluster: 'prod', lastReport }] });
    expect(status(i)['node-agents@cluster:prod']).toBe(expected);
  });

  it('Bedrock logging without text delivery is partial', () => {
    const i = input({ bedrockLogging: { configured: true, cloudWatchLogGroup: 'g', textDelivery: false } });
    expect(status(i)['bedrock-invocation-logging@account']).toBe('partial');
  });

  it('a reader that failed makes its checks unknown, not missing', () => {
    const i = input({ readErrors: [{ input: 'trails', detail: 'AccessDeniedException' }] });
    const s = status(i);
    expect(s['management-events@account']).toBe('unknown');
    expect(s['bedrock-data-events@account']).toBe('unknown');
  });
});
