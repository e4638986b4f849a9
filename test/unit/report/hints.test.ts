/** The report's hints run as printed: they are built with the command line the user runs Warden with. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadIamCatalog } from '../../../lib/adapters/iam-scope.ts';
import { openStore } from '../../../lib/adapters/open-store.ts';
import { buildReport } from '../../../lib/app/report/build.ts';
import { hint } from '../../../lib/cli/hints.ts';

const dir = mkdtempSync(join(tmpdir(), 'warden-report-hints-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('report hints', () => {
  it('use the invocation and the --store the report was made with', async () => {
    const spec = `embedded:${join(dir, 'store')}`;
    const store = await openStore(spec);
    const invocation = { argv1: '/usr/lib/node_modules/.bin/warden', env: { npm_command: 'exec' }, cwd: dir };
    try {
      const r = await buildReport(store, {
        now: '2026-03-10T00:00:00.000Z',
        outDir: join(dir, 'out'),
        command: (args) => hint(args, { store: spec, invocation }),
        loadCatalog: loadIamCatalog,
      });
      const html = readFileSync(r.indexPath, 'utf8');
      expect(html).toContain(`npx warden --store ${spec} ingest PATH...`);
      expect(html).toContain(`npx warden --store ${spec} demo`);
    } finally {
      await store.close();
    }
  });
});
