export * from './audit-trail.ts';
export * from './detection-finding.ts';
export * from './types.ts';
