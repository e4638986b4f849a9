/**
 * An SDK middleware that reports every AWS API call a client makes (client, operation, input, region) to a recorder,
 * when one is installed on `globalThis` under {@link AWS_CALL_RECORDER}. Nothing is recorded otherwise: in Lambda the
 * middleware costs one property read per call. The e2e test installs a recorder before running the bundled handlers
 * (which carry their own copy of the SDK, so only a process-wide hook reaches them) and checks each call against
 * the function's synthesized role policy with Warden's IAM evaluator; the fleet benchmark counts calls the same way.
 *
 * @example const s3 = recordCalls(new S3Client({}));
 */

/** Where the recorder is looked up (a registered symbol: the same in every bundle loaded into one process). */
export const AWS_CALL_RECORDER = Symbol.for('warden.aws-call-recorder');

export interface AwsCall {
  /** SDK client name, e.g. `DynamoDBClient`, `BedrockAgentClient`. */
  client: string;
  /** SDK command name without `Command`, i.e. the API operation, e.g. `UpdateItem`. */
  operation: string;
  input: Record<string, unknown>;
  region?: string;
}

export type AwsCallRecorder = (call: AwsCall) => void;

interface Instrumentable {
  middlewareStack: { add(mw: unknown, opts: { step: 'initialize'; name: string; override?: boolean }): void };
  config: { region?: unknown };
}

function recorder(): AwsCallRecorder | undefined {
  const r = (globalThis as Record<symbol, unknown>)[AWS_CALL_RECORDER];
  return typeof r === 'function' ? (r as AwsCallRecorder) : undefined;
}

async function regionOf(config: Instrumentable['config']): Promise<string | undefined> {
  const r = config.region;
  if (typeof r === 'string') return r;
  if (typeof r === 'function') return (await (r as () => Promise<string>)()) ?? undefined;
  return undefined;
}

/** Adds the recording middleware to a client (idempotent) and returns the client. */
export function recordCalls<C>(client: C): C {
  const c = client as unknown as Instrumentable;
  c.middlewareStack.add(
    (next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: Record<string, unknown>) =>
      async (args: { input: Record<string, unknown> }) => {
        const record = recorder();
        if (record) {
          record({
            client: String(context.clientName ?? ''),
            operation: String(context.commandName ?? '').replace(/Command$/, ''),
            input: args.input,
            region: await regionOf(c.config),
          });
        }
        return next(args);
      },
    { step: 'initialize', name: 'wardenAwsCallRecorder', override: true },
  );
  return client;
}
