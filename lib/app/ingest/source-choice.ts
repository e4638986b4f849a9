/** The `--source` choices of ingest: auto-detection per record, or one source for every record. */
import { SOURCES } from '../../core/observation.ts';

export const SOURCE_CHOICES = ['auto', ...SOURCES] as const;
export type SourceChoice = (typeof SOURCE_CHOICES)[number];
