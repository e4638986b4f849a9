export * from '../rng.ts';
export * from './generate.ts';
export * from './identity.ts';
export * from './parse.ts';
export * from './reference-incident.ts';
export * from './types.ts';
export * from './write.ts';
