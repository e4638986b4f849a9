/**
 * Baseline service: loads a subject's baseline doc and the aggregates after its watermark from the Store, folds them
 * in with the pure core (lib/core/baseline/update.ts) and saves the doc with optimistic concurrency. Used by the CLI
 * (`warden baseline`), the baseline Lambda and the demo/report.
 */
import { z } from 'zod';
import { BASELINE_SCHEMA, type Baseline, type BaselineConfig } from '../../core/baseline/types.ts';
import { emptyBaseline, type UpdateResult, updateBaseline } from '../../core/baseline/update.ts';
import type { Doc, Store } from '../../ports.ts';

/** Doc kind and id of the current baseline of a subject (scope = subject id). */
export const BASELINE_DOC_KIND = 'baseline';
export const BASELINE_DOC_ID = 'current';

// The doc comes back from storage written by this or an older Warden: check its shape before trusting it.
const storedBaseline = z
  .object({
    schema: z.literal(BASELINE_SCHEMA),
    subject: z.string(),
    version: z.number().int().nonnegative(),
    watermark: z.string(),
    entries: z.array(z.object({ key: z.string(), active: z.boolean() }).passthrough()),
    convergence: z.array(z.object({ start: z.string(), closed: z.boolean() }).passthrough()),
    rates: z.object({ alpha: z.number(), series: z.record(z.unknown()) }),
    config: z.object({ periodMs: z.number().int().positive() }).passthrough(),
  })
  .passthrough();

export class BaselineDocError extends Error {
  constructor(subject: string, detail: string, options?: { cause?: unknown }) {
    super(`stored baseline of ${subject} is not a ${BASELINE_SCHEMA} document: ${detail}`, options);
    this.name = 'BaselineDocError';
  }
}

/** The stored baseline of `subject` with its doc version, or undefined when none was built yet. */
export async function loadBaseline(
  store: Store,
  subject: string,
): Promise<{ baseline: Baseline; docVersion: number } | undefined> {
  const doc: Doc<unknown> | undefined = await store.getDoc(BASELINE_DOC_KIND, subject, BASELINE_DOC_ID);
  if (!doc) return undefined;
  const parsed = storedBaseline.safeParse(doc.body);
  if (!parsed.success) {
    throw new BaselineDocError(subject, parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return { baseline: doc.body as Baseline, docVersion: doc.version };
}

export interface RefreshOptions {
  /** Config for a baseline created now (an existing baseline keeps its own). */
  config?: Partial<BaselineConfig>;
  /** Retries after a concurrent writer saved first (default 2). */
  retries?: number;
}

export interface RefreshResult extends Omit<UpdateResult, 'baseline'> {
  baseline: Baseline;
  /** True when the doc was written. */
  saved: boolean;
}

/** Brings the baseline of `subject` up to `now` and saves it when it changed. */
export async function refreshBaseline(
  store: Store,
  subject: string,
  now: string,
  opts: RefreshOptions = {},
): Promise<RefreshResult> {
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const loaded = await loadBaseline(store, subject);
    const prev = loaded?.baseline ?? emptyBaseline(subject, now, opts.config);
    const started = prev.entries.length > 0 || prev.convergence.length > 0;
    // Only what was not folded yet: the query starts at the watermark, so cost follows new data, not history.
    const rows = await store.aggregates(subject, started ? { from: prev.watermark } : {});
    const r = updateBaseline(prev, rows, now);
    if (!r.changed) return { ...r, saved: false };
    try {
      await store.putDoc(BASELINE_DOC_KIND, subject, BASELINE_DOC_ID, r.baseline, {
        expectVersion: loaded?.docVersion ?? 0,
      });
      return { ...r, saved: true };
    } catch (err) {
      if ((err as Error).name !== 'VersionConflictError' || attempt >= retries) throw err;
    }
  }
}

/** Refreshes the baselines of every subject the store knows (or of `subjects`); one failure does not stop the rest. */
export async function refreshAll(
  store: Store,
  now: string,
  opts: RefreshOptions & { subjects?: string[] } = {},
): Promise<{ subject: string; status?: string; folded?: number; saved?: boolean; error?: string }[]> {
  const subjects = opts.subjects ?? (await store.subjects()).map((s) => s.subject);
  const out: { subject: string; status?: string; folded?: number; saved?: boolean; error?: string }[] = [];
  for (const subject of subjects) {
    try {
      const r = await refreshBaseline(store, subject, now, opts);
      out.push({ subject, status: r.baseline.status, folded: r.folded, saved: r.saved });
    } catch (err) {
      out.push({ subject, error: (err as Error).message });
    }
  }
  return out;
}
