export * from './extract.ts';
export * from './types.ts';
