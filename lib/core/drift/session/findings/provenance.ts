/**
 * Argument provenance: a value an argument carried that is new to this agent (no benign session used it in any
 * argument) and absent from the user's request, but present in a tool result the session received before the call -
 * the signature of an indirect prompt injection, though not proof of one ("reply to the contact named in this
 * document" legitimately does it). So it is weighed by:
 * - how often this agent's sessions with a similar request took a new value from content in this argument (the user
 *   delegated to the content), backed off to how often any of its sessions did, and that to how often any argument
 *   of the agent did (-log2 of that rate);
 * - the sink's sensitivity and the value's shape (./../sinks.ts);
 * - half weight for a new value found nowhere before (neither request nor result: the model wrote it).
 * A value found in the user's request never counts (the user asked for it). A deploy never explains these.
 */
import { bitsOf, rate, sessionCount, valueSessions, valueUses } from '../model.ts';
import { conditioned } from '../neighbours.ts';
import { argumentWeight, isAddress, isOutbound } from '../sinks.ts';
import type { ArgUse, Finding } from '../types.ts';
import { type FindingContext, type FindingRule, shortName } from './types.ts';

/** Pseudo-uses the agent-wide rate weighs in an argument's own rate. */
export const SLOT_BACKOFF = 2;

/** Weight of a new value that came from nowhere visible, relative to one that came from a tool result. */
export const GENERATED_WEIGHT = 0.5;

export const provenance: FindingRule = {
  kind: 'provenance',
  evaluate(ctx: FindingContext): Finding[] {
    const { ix, s, view, ex, nb, marks } = ctx;
    // One finding per argument: the strongest of the tokens of its value (an id and the number inside it are one value).
    const bySlot = new Map<string, Finding>();
    for (const { prefix, slot, tool, param, token } of valueUses(s)) {
      if (valueSessions(ix, token, ex) > 0) continue;
      const weight = argumentWeight(tool, param, token, marks) * (prefix === 'g' ? GENERATED_WEIGHT : 1);
      if (weight <= 0) continue;
      const event = `${prefix}:${slot}`;
      const exEvents = ex ? ix.newEvents.get(ex.id) : undefined;
      const exEvent = exEvents?.has(event) === true;
      const exSlot = ex?.slots.includes(slot);
      // Agent-wide rate of such events per argument use: what an argument with little history backs off to.
      const exAll = exEvents ? [...exEvents].filter((e) => e.startsWith(prefix)).length : 0;
      const pAll = rate(ix.newTotal[prefix] - exAll, ix.slotUses - (ex?.slots.length ?? 0));
      const pAgent =
        ((ix.slotNew.get(event) ?? 0) - (exEvent ? 1 : 0) + SLOT_BACKOFF * pAll) /
        ((ix.slotSessions.get(slot) ?? 0) - (exSlot ? 1 : 0) + SLOT_BACKOFF);
      const p = conditioned(
        nb,
        pAgent,
        (x) => ix.newEvents.get(x.id)?.has(event) === true,
        (x) => x.slots.includes(slot),
      );
      const use = view?.uses.find((u) => u.tool === tool && u.param === param && u.token === token);
      const observations = view && use ? useObservations(ctx, use) : [];
      const f: Finding = {
        kind: 'provenance',
        signal: 'argumentProvenance',
        bits: weight * bitsOf(p),
        key: slot,
        text: reason(tool, param, token, prefix, use, sessionCount(ix, ex) === 0),
        observations,
        unexplainable: true,
        // Cold start: only an address from content handed to an outbound tool's destination is enough.
        coldStart:
          prefix === 'c' && isAddress(token) && isOutbound(tool) && argumentWeight(tool, param, token, marks) >= 1,
        ...(use ? { provenance: use } : {}),
      };
      const key = `${prefix}|${slot}`;
      const prev = bySlot.get(key);
      if (!prev || f.bits > prev.bits) bySlot.set(key, f);
    }
    return [...bySlot.values()];
  },
};

function useObservations(ctx: FindingContext, use: ArgUse) {
  const call = ctx.view!.calls[use.call]?.observation;
  const result = use.from
    ? ctx.view!.results.find((r) => r.observation.id === use.from!.observationId)?.observation
    : undefined;
  return [...(result ? [result] : []), ...(call ? [call] : [])];
}

function reason(
  tool: string,
  param: string,
  token: string,
  prefix: 'c' | 'g',
  use: ArgUse | undefined,
  cold: boolean,
): string {
  const value =
    use?.preview ??
    `<${token.slice(0, token.indexOf(':'))} ${token.slice(token.indexOf(':') + 1, token.indexOf(':') + 7)}…>`;
  const fresh = cold ? 'no history to compare with' : 'new to this agent';
  if (prefix === 'g')
    return `${shortName(tool)} ${param} ${value}: ${fresh}, neither in the user's request nor in any tool result before the call`;
  const from = use?.from;
  const when = from
    ? ` ${shortName(from.tool)} ${Math.max(0, Math.round(from.agoMs / 1000))} s earlier`
    : ' an earlier tool';
  return `${shortName(tool)} ${param} ${value}: ${fresh}, not in the user's request, appeared in the output of${when}`;
}
