/** Identity resolution: AWS principals, pod IPs and Bedrock agents -> subject ids. */
export * from './leases.ts';
export * from './pod-name.ts';
export * from './resolver.ts';
export * from './types.ts';
