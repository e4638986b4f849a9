import { coversRegion, managementCapture } from '../selectors.ts';
import type { CoverageInput, CoverageRule } from '../types.ts';
import { unknownIfUnread } from './unread.ts';

const HIDES =
  'read-only management calls (Describe/List/Get: reconnaissance), and any history older than the 90 days ' +
  'LookupEvents keeps: deploy correlation and months-old audit entries lose their cloud-api layer';

/** A logging trail in the region records read and write management events. */
export const managementEvents: CoverageRule = {
  id: 'management-events',
  evaluate(input: CoverageInput) {
    const unread = unknownIfUnread(input, 'trails', this.id, 'account', HIDES);
    if (unread) return [unread];
    const trails = input.trails.filter((t) => coversRegion(t, input.region) && t.logging !== false);
    const caps = trails.map((t) => ({ t, c: managementCapture(t) }));
    const full = caps.find(({ c }) => c.read && c.write);
    if (full) {
      return [{ check: this.id, target: 'account', status: 'ok', detail: `trail ${full.t.name}`, hides: '' }];
    }
    const some = caps.find(({ c }) => c.read || c.write);
    if (some) {
      const which = some.c.write ? 'write-only' : 'read-only';
      return [
        {
          check: this.id,
          target: 'account',
          status: 'partial',
          detail: `trail ${some.t.name} logs ${which} management events`,
          hides: HIDES,
        },
      ];
    }
    const stopped = input.trails.filter((t) => t.logging === false).map((t) => t.name);
    const detail =
      stopped.length > 0
        ? `no logging trail in ${input.region} (stopped: ${stopped.join(', ')})`
        : `no trail records management events in ${input.region}`;
    return [{ check: this.id, target: 'account', status: 'missing', detail, hides: HIDES }];
  },
};
