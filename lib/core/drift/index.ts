export * from './changes.ts';
export * from './classify.ts';
export * from './explain.ts';
export * from './report.ts';
export * from './sequences.ts';
export { SIGNALS } from './signals/index.ts';
export * from './timeline.ts';
export * from './types.ts';
