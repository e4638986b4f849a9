import type { Observation } from '../../observation.ts';
import type { EvidenceRef } from '../types.ts';
import type { SignalOutput } from './types.ts';

/** Most evidence references one signal carries (the drift event must stay far below EventBridge's 256 KB). */
export const MAX_SIGNAL_EVIDENCE = 20;

export function refOf(o: Observation): EvidenceRef {
  const correlation: EvidenceRef['correlation'] = {};
  for (const [k, v] of Object.entries(o.correlation)) if (v !== undefined) correlation[k] = v;
  return { observationId: o.id, key: o.key, time: o.time, correlation };
}

/** Evidence for a set of keys: the first observations of each key in turn, so every key is represented. */
export function refsForKeys(evidence: Observation[], keys: Iterable<string>, max = MAX_SIGNAL_EVIDENCE): EvidenceRef[] {
  const byKey = new Map<string, Observation[]>();
  for (const k of keys) byKey.set(k, []);
  for (const o of evidence) byKey.get(o.key)?.push(o);
  const out: EvidenceRef[] = [];
  for (let round = 0; out.length < max; round++) {
    let added = false;
    for (const list of byKey.values()) {
      const o = list[round];
      if (o && out.length < max) {
        out.push(refOf(o));
        added = true;
      }
    }
    if (!added) break;
  }
  return out;
}

/** A signal's output from its score for each change: the cluster's score is the highest, anomalous from 0.5. */
export function signalOutput(
  byChange: number[],
  reason: string,
  details: Record<string, unknown>[],
  evidence: EvidenceRef[],
): SignalOutput {
  const score = byChange.reduce((m, x) => Math.max(m, x), 0);
  return { result: { score, verdict: score >= 0.5 ? 'anomalous' : 'normal', reason, details, evidence }, byChange };
}
