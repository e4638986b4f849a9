export * from './anchor.ts';
export * from './chain.ts';
export * from './correlate.ts';
export * from './hash.ts';
export * from './ids.ts';
export * from './rollout.ts';
export * from './types.ts';
