/**
 * A rollout's records in the store: its transitions (each also appended to the audit chain, idempotently per
 * transition) and the per-class lock that refuses a second running rollout of a class.
 */
import { buildRolloutAuditEntry, rolloutTransitionName, type TransitionFacts } from '../../core/audit/rollout.ts';
import type { Store } from '../../ports.ts';
import { appendAuditEntryOnce } from '../audit/service.ts';
import { type RolloutDeps, RolloutRefused, type StoreDeps } from './deps.ts';
import type { ClassInput } from './schemas.ts';

const TRANSITION_KIND = 'rollout-transition';
const TRANSITION_MARKER_KIND = 'rollout-transition-key';
export const ROLLOUT_KIND = 'rollout';
export const LOCK_KIND = 'rollout-lock';

/** What a transition adds to its audit entry beyond the rollout, step and time. */
export type AuditFacts = Omit<TransitionFacts, 'rolloutId' | 'step' | 'time'>;

/**
 * Records a transition: the store document (`detail` as the status views read it), then the audit chain entry.
 * Idempotent per (rollout, transition name), like the chain: a marker document names the transition's document id
 * and time before the document is written, so a step retried by Step Functions (or resumed after a crash between
 * the two writes) finds the marker and writes nothing new; the first attempt's record stands in both places.
 */
export async function transition(
  deps: StoreDeps,
  rolloutId: string,
  step: string,
  detail: Record<string, unknown>,
  audit: AuditFacts,
): Promise<void> {
  const name = rolloutTransitionName({ step, ...audit });
  const marker = await deps.store.getDoc<{ docId: string; time: string }>(TRANSITION_MARKER_KIND, rolloutId, name);
  let time: string;
  if (marker) {
    time = marker.body.time;
    const written = await deps.store.getDoc(TRANSITION_KIND, rolloutId, marker.body.docId);
    if (!written)
      await deps.store.putDoc(TRANSITION_KIND, rolloutId, marker.body.docId, { rolloutId, step, time, ...detail });
  } else {
    time = deps.now();
    // Document ids sort by time; the counter orders transitions recorded in the same millisecond.
    const docId = `${time}#${String(process.hrtime.bigint()).padStart(24, '0')}`;
    await deps.store.putDoc(TRANSITION_MARKER_KIND, rolloutId, name, { docId, time });
    await deps.store.putDoc(TRANSITION_KIND, rolloutId, docId, { rolloutId, step, time, ...detail });
  }
  await appendAuditEntryOnce(deps.store, buildRolloutAuditEntry({ rolloutId, step, time, ...audit }, time));
}

/** The audit facts every transition of a class carries. */
export const classFacts = (ci: ClassInput): AuditFacts => ({ class: ci.class, track: ci.track, subjects: ci.subjects });

/** Transitions recorded for a rollout, oldest first. */
export async function transitions(store: Store, rolloutId: string): Promise<Record<string, unknown>[]> {
  return (await store.listDocs<Record<string, unknown>>(TRANSITION_KIND, rolloutId)).map((d) => d.body);
}

/** Takes the class's lock for the rollout; refused while another rollout of the class is running. */
export async function lockClass(deps: RolloutDeps, cls: string, rolloutId: string): Promise<void> {
  const cur = await deps.store.getDoc<{ rolloutId: string; state: string }>(LOCK_KIND, cls, 'lock');
  if (cur && cur.body.state === 'running' && cur.body.rolloutId !== rolloutId) {
    throw new RolloutRefused(`class ${cls} already has a running rollout (${cur.body.rolloutId})`);
  }
  await deps.store.putDoc(
    LOCK_KIND,
    cls,
    'lock',
    { rolloutId, state: 'running', since: deps.now() },
    {
      expectVersion: cur?.version ?? 0,
    },
  );
}

/** Releases the class's lock held by the rollout, leaving its final state. */
export async function unlockClass(deps: StoreDeps, cls: string, rolloutId: string, state: string): Promise<void> {
  const cur = await deps.store.getDoc<{ rolloutId: string }>(LOCK_KIND, cls, 'lock');
  if (cur && cur.body.rolloutId === rolloutId) {
    await deps.store.putDoc(
      LOCK_KIND,
      cls,
      'lock',
      { rolloutId, state, since: deps.now() },
      { expectVersion: cur.version },
    );
  }
}
