/**
 * Sensitive arguments (classes decided at parse time, lib/core/sources/value-tokens.ts): a path naming a credential
 * store, a command printing the environment, a shell variable named like a secret, a secret-shaped value (API key,
 * bearer token, private key) the user did not give. Routine for an agent whose benign sessions do the same thing
 * with the same value at least twice; otherwise weighed as a 1-in-65,536 event, risky on its own (also for an agent
 * with no history: the cold-start rule), never explained by a deploy.
 */
import type { Finding } from '../types.ts';
import { type FindingContext, type FindingRule, shortName } from './types.ts';

export const SENSITIVE_BITS = 16;

const WHAT: Record<string, string> = {
  'credential-file': 'names a credential store (.env, keys, password files)',
  'env-dump': 'runs a command that prints the environment and the secrets in it',
  'secret-variable': 'reads a shell variable named like a secret',
  'secret-value': "carries a secret-shaped value (API key, token, password) that the user's request did not give",
};

export const sensitive: FindingRule = {
  kind: 'sensitive',
  evaluate({ ix, s, view, ex }: FindingContext): Finding[] {
    const out: Finding[] = [];
    for (const entry of s.sensitive) {
      const routine = (ix.sensitiveSessions.get(entry) ?? 0) - (ex?.sensitive.includes(entry) ? 1 : 0) >= 2;
      if (routine) continue;
      const [slot = '', cls = ''] = entry.split('|');
      const hash = slot.lastIndexOf('#');
      const tool = slot.slice(0, hash);
      const param = slot.slice(hash + 1);
      out.push({
        kind: cls === 'secret-value' ? 'secret' : 'sensitive',
        signal: 'argumentProvenance',
        bits: SENSITIVE_BITS,
        key: slot,
        text: `${shortName(tool)} ${param} ${WHAT[cls] ?? cls}${ix.n > 0 ? ', a first for this agent' : ''}`,
        observations: view
          ? view.sensitive
              .filter((x) => x.tool === tool && x.param === param && x.class === cls)
              .map((x) => view.calls[x.call]!.observation)
          : [],
        unexplainable: true,
        coldStart: true,
      });
    }
    return out;
  },
};
