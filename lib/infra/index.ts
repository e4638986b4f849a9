/** Public entry of the CDK constructs: `import { Warden } from 'warden/lib/infra/index.ts'`. */
export { Events } from './events.ts';
export { WardenFunction } from './function.ts';
export { Ingestion } from './ingestion.ts';
export { BUCKET_SOURCES, type BucketSource, type BucketWatch, propsFromContext, type WardenProps } from './props.ts';
export { QueueWithDlq } from './queue.ts';
export { WardenStack } from './stack.ts';
export { Store } from './store.ts';
export { Warden } from './warden.ts';
