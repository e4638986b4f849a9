/**
 * The seccomp allow-list envelope as seccomp.ts computes it and seccomp-spo.ts renders it (apart from both, so the
 * renderer does not import the module that calls it).
 */
import type { RuntimeDetection } from './runtime-detect.ts';
import type { RuleProvenance } from './types.ts';

export type SeccompMode = 'monitor' | 'enforce';

export type SeccompOrigin = 'observed' | 'base' | 'family' | 'variant';

export interface SeccompGroup {
  /** `observed`, `observed:<sensitive family>`, `base:<runtime>`, `family:<name>`, `variants`, `never-returns`. */
  group: string;
  origin: SeccompOrigin;
  syscalls: string[];
  provenance: RuleProvenance;
}

export interface SeccompEnvelope {
  groups: SeccompGroup[];
  allowed: string[];
  /** syscall -> the group that allows it. */
  originOf: Record<string, string>;
  runtimes: RuntimeDetection;
  evidence: { observedSyscalls: number; spanDays: number; thin: boolean };
  warnings: string[];
}
