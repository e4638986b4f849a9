/**
 * The ingest Lambda's way to a headerless flow log's format: the flow log id in the S3 object key -> EC2
 * DescribeFlowLogs (a real moto_server) -> its LogFormat stored once -> the object's lines read in that order.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateFlowLogsCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learnFlowFormats, loadFlowFormats } from '../../../lib/adapters/vpc-flow-formats.ts';
import { ingestStream } from '../../../lib/app/ingest/pipeline.ts';
import { REPO } from '../../support/cli.ts';
import { startDynaliteStore } from '../../support/dynalite.ts';
import { type MotoServer, startMoto } from '../../support/moto.ts';

const TCP_FORMAT =
  '${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${account-id} ${type} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${pkt-srcaddr} ${pkt-dstaddr} ${protocol} ${bytes} ${packets} ${start} ${end} ${action} ${tcp-flags} ${log-status}';

describe('flow log formats from DescribeFlowLogs', { timeout: 120_000 }, () => {
  let moto: MotoServer;
  let db: Awaited<ReturnType<typeof startDynaliteStore>>;
  let flowLogId: string;
  beforeAll(async () => {
    moto = await startMoto();
    db = await startDynaliteStore();
    const ec2 = new EC2Client(moto.clientConfig);
    await new S3Client(moto.clientConfig).send(new CreateBucketCommand({ Bucket: 'flow-logs' }));
    const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const fl = await ec2.send(
      new CreateFlowLogsCommand({
        ResourceIds: [vpc.Vpc!.VpcId!],
        ResourceType: 'VPC',
        TrafficType: 'ALL',
        LogDestinationType: 's3',
        LogDestination: 'arn:aws:s3:::flow-logs',
        LogFormat: TCP_FORMAT,
      }),
    );
    flowLogId = fl.FlowLogIds![0]!;
  }, 120_000);
  afterAll(async () => {
    await db?.stop();
    await moto?.stop();
  });

  it('learns the format of the flow log an object belongs to, once, and reads the object with it', async () => {
    const key = `AWSLogs/123456789010/vpcflowlogs/us-east-1/2019/08/26/123456789010_vpcflowlogs_us-east-1_${flowLogId}_20190826T1945Z_0a1b2c3d.log`;
    const ec2 = new EC2Client(moto.clientConfig);
    const known = await loadFlowFormats(db.store);
    expect(await learnFlowFormats(db.store, ec2, [key], known)).toEqual([`flow-log:${flowLogId}`]);
    // stored: a second object of the same flow log asks nothing
    const again = await loadFlowFormats(db.store);
    expect(await learnFlowFormats(db.store, ec2, [key], again)).toEqual([]);

    const text = readFileSync(join(REPO, 'test', 'fixtures', 'sources', 'vpc-flow', 'v3-tcp-flags-custom.log'));
    const r = await ingestStream(
      db.store,
      { name: `s3://flow-logs/${key}`, stream: Readable.from([text]) },
      { vpcFormats: again },
    );
    expect(r).toMatchObject({ records: 8, observations: 8, quarantined: 0 });
  });
});
