/** The bundled AWS prefixes and the script that refreshes them from an ip-ranges.json document. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLED_SERVICE_PREFIXES } from '../../../lib/core/artifacts/aws-prefixes.ts';
import { parseCidr4 } from '../../../lib/core/artifacts/cidr.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'warden-ipr-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('AWS ip-ranges', () => {
  it('every bundled prefix is a valid IPv4 CIDR with its region and origin', () => {
    expect(BUNDLED_SERVICE_PREFIXES.length).toBeGreaterThan(0);
    for (const p of BUNDLED_SERVICE_PREFIXES) {
      expect(parseCidr4(p.cidr), p.cidr).toBeDefined();
      expect(p.region).toMatch(/^[a-z]{2}(-gov)?-[a-z]+-\d$/);
      expect(p.origin).toMatch(/^bundled ip-ranges /);
    }
  });

  it('the refresh script keeps the S3 IPv4 prefixes and the createDate of the document it read', () => {
    const src = join(dir, 'ip-ranges.json');
    writeFileSync(
      src,
      JSON.stringify({
        syncToken: '1733000000',
        createDate: '2024-12-01-00-00-00',
        prefixes: [
          { ip_prefix: '52.216.0.0/15', region: 'us-east-1', service: 'S3', network_border_group: 'us-east-1' },
          { ip_prefix: '52.4.0.0/14', region: 'us-east-1', service: 'AMAZON', network_border_group: 'us-east-1' },
          { ip_prefix: '3.5.0.0/19', region: 'us-east-1', service: 'S3', network_border_group: 'us-east-1' },
        ],
        ipv6_prefixes: [],
      }),
    );
    const out = join(dir, 'data.ts');
    const r = spawnSync(
      process.execPath,
      [join(root, 'scripts', 'refresh-aws-ip-ranges.mjs'), '--from', src, '--out', out],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('"createDate": "2024-12-01-00-00-00"');
    expect(text).toContain('52.216.0.0/15');
    expect(text).toContain('3.5.0.0/19');
    expect(text).not.toContain('52.4.0.0/14');
  });

  it('the refresh script refuses a document that is not ip-ranges.json', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"hello":1}');
    const r = spawnSync(
      process.execPath,
      [join(root, 'scripts', 'refresh-aws-ip-ranges.mjs'), '--from', bad, '--out', join(dir, 'x.ts')],
      {
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not an ip-ranges.json document/);
  });
});
