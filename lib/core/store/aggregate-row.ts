/** The stored aggregate: a core value (the folds and rules read it), which the Store port stores and returns. */
import type { AttrValue, Layer, SourceName } from '../observation.ts';

/** One stored aggregate: all observations of one behavior key of one subject in one hourly window. */
export interface AggregateRow {
  subject: string;
  key: string;
  /** Window start, ISO UTC (see windowStart in core/observation). */
  window: string;
  layer: Layer;
  kind: string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  sources: SourceName[];
  /** Attributes of the first observation that created the aggregate (bounded; e.g. size of a model file, bytes). */
  attrs: Record<string, AttrValue>;
  /** Summed numeric attributes over the window (e.g. bytes, records, inputTokens). */
  sums: Record<string, number>;
}
