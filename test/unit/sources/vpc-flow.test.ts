import { describe, expect, it } from 'vitest';
import { createVpcFlowFileParser, parseText, vpcFlowParser } from '../../../lib/core/sources/index.ts';
import { ctx, tableIdentity } from './helpers.ts';

const v2 = (src: string, dst: string, sport: number | '-', dport: number | '-', action = 'ACCEPT', status = 'OK') =>
  `2 111122223333 eni-1 ${src} ${dst} ${sport} ${dport} 6 10 1000 1772460300 1772460360 ${action} ${status}`;

describe('vpc flow direction and keys', () => {
  const cases: {
    name: string;
    line: string;
    key: string;
    subject: string;
    reply: boolean;
    ips?: Record<string, string>;
  }[] = [
    {
      name: 'private client to public service',
      line: v2('10.0.1.5', '52.1.2.3', 40000, 443),
      key: 'net:egress:52.1.2.3/32:443',
      subject: 'unattributed:10.0.1.5',
      reply: false,
    },
    {
      name: 'reply from public service',
      line: v2('52.1.2.3', '10.0.1.5', 443, 40000),
      key: 'net:egress:52.1.2.3/32:443',
      subject: 'unattributed:10.0.1.5',
      reply: true,
    },
    {
      name: 'public client to private service',
      line: v2('203.0.113.9', '10.0.1.5', 51515, 8080),
      key: 'net:ingress:203.0.113.9/32:8080',
      subject: 'unattributed:10.0.1.5',
      reply: false,
    },
    {
      name: 'private server replying',
      line: v2('10.0.1.5', '203.0.113.9', 22, 48316),
      key: 'net:ingress:203.0.113.9/32:22',
      subject: 'unattributed:10.0.1.5',
      reply: true,
    },
    {
      name: 'pod resolved by identity decides the local side between two private addresses',
      line: v2('10.0.9.9', '10.0.1.5', 5432, 41000),
      key: 'net:egress:10.0.9.9/32:5432',
      subject: 'k8s:prod/support/agent',
      reply: true,
      ips: { '10.0.1.5': 'k8s:prod/support/agent' },
    },
    {
      name: 'IPv6',
      line: v2('2001:db8::5', '2600:1f18::1', 40000, 443),
      key: 'net:egress:2600:1f18::1/128:443',
      subject: 'unattributed:2001:db8::5',
      reply: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const identity = tableIdentity({ ips: c.ips ?? {} });
      const r = vpcFlowParser.parse({ text: c.line }, ctx({ identity }));
      expect(r.rejects).toEqual([]);
      const o = r.observations[0]!;
      expect(o).toMatchObject({
        key: c.key,
        subject: c.subject,
        layer: 'network',
        kind: 'net',
        time: '2026-03-02T14:05:00.000Z',
      });
      expect(o.attrs.reply).toBe(c.reply);
      expect(o.correlation.podIp).toBe(o.attrs.localIp);
    });
  }

  it('flow-direction (v5) decides the interface side', () => {
    const p = createVpcFlowFileParser(ctx());
    expect(p.parse({ text: 'srcaddr dstaddr srcport dstport start flow-direction action log-status' }).skipped).toEqual(
      { header: 1 },
    );
    const o = p.parse({ text: '10.0.1.5 10.0.2.6 40000 443 1772460300 ingress ACCEPT OK' }).observations[0]!;
    expect(o.subject).toBe('unattributed:10.0.2.6');
    expect(o.key).toBe('net:ingress:10.0.1.5/32:443');
    expect(o.attrs).toMatchObject({ flowDirection: 'ingress', direction: 'ingress', reply: false });
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the AWS flow-log format string spells fields as ${name}
  it('accepts the ${field} format-string header and pkt-srcaddr over srcaddr', () => {
    const r = parseText(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: AWS format string, not a template
      '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${pkt-dstaddr} ${srcport} ${dstport} ${start} ${action} ${log-status}\n' +
        '3 10.0.1.100 52.1.2.3 10.0.1.5 52.1.2.3 40000 443 1772460300 ACCEPT OK\n',
      ctx(),
    );
    expect(r.observations.map((o) => [o.subject, o.key])).toEqual([
      ['unattributed:10.0.1.5', 'net:egress:52.1.2.3/32:443'],
    ]);
  });

  it('counts REJECT and ACCEPT as summable attrs and keeps bytes and packets', () => {
    const o = vpcFlowParser.parse({ text: v2('10.0.1.5', '52.1.2.3', 40000, 443, 'REJECT') }, ctx()).observations[0]!;
    expect(o.attrs).toMatchObject({
      action: 'REJECT',
      accepted: 0,
      rejected: 1,
      bytes: 1000,
      packets: 10,
      protocol: 'tcp',
    });
  });

  it('skips NODATA and SKIPDATA without errors', () => {
    const r = parseText(
      [
        '2 111122223333 eni-1 - - - - - - - 1772460300 1772460360 - NODATA',
        '2 111122223333 eni-1 - - - - - - - 1772460300 1772460360 - SKIPDATA',
      ].join('\n'),
      ctx(),
    );
    expect(r).toMatchObject({ observations: [], rejects: [], skipped: { NODATA: 1, SKIPDATA: 1 } });
  });

  it('gives the same id to the same line and different ids to different lines', () => {
    const a = vpcFlowParser.parse({ text: v2('10.0.1.5', '52.1.2.3', 40000, 443) }, ctx()).observations[0]!;
    const b = vpcFlowParser.parse({ text: v2('10.0.1.5', '52.1.2.3', 40000, 443) }, ctx()).observations[0]!;
    const c = vpcFlowParser.parse({ text: v2('10.0.1.5', '52.1.2.3', 40001, 443) }, ctx()).observations[0]!;
    expect(a.id).toBe(b.id);
    expect(a.id).not.toBe(c.id);
  });

  it('reads normalized JSON flow records (camelCase field names)', () => {
    const r = parseText(
      JSON.stringify({
        srcAddr: '10.0.0.1',
        dstAddr: '8.8.8.8',
        srcPort: 50000,
        dstPort: 53,
        protocol: 17,
        start: 1772460300,
        flowDirection: 'egress',
      }),
      ctx(),
    );
    expect(r.observations.map((o) => o.key)).toEqual(['net:egress:8.8.8.8/32:53']);
  });

  const rejects: [string, string, string][] = [
    ['too few fields', '2 111122223333 eni-1 10.0.0.1', 'field-count-mismatch'],
    ['port not a number', v2('10.0.1.5', '52.1.2.3', 40000, 443).replace(' 443 ', ' https '), 'wrong-type:dstport'],
    ['address not an IP', v2('example.com', '52.1.2.3', 40000, 443), 'invalid-ip:srcaddr'],
    ['action unknown', v2('10.0.1.5', '52.1.2.3', 40000, 443, 'DROP'), 'invalid-value:action'],
    ['no start', '2 111122223333 eni-1 10.0.1.5 52.1.2.3 40000 443 6 10 1000 - - ACCEPT OK', 'missing-field:start'],
  ];
  for (const [name, line, reason] of rejects)
    it(`rejects ${name}`, () =>
      expect(vpcFlowParser.parse({ text: line }, ctx()).rejects.map((x) => x.reason)).toEqual([reason]));
});
