/**
 * Runs the rollout definition locally with aws-local-stepfunctions: every Task state is mapped to the in-process
 * step handler (the same code the AWS worker runs), Wait states can be shortened. Used by `warden rollout start`
 * and `warden demo`, and by tests.
 */
import '../../polyfills.ts';
import { StateMachine } from 'aws-local-stepfunctions';
import { DEFAULT_THRESHOLD } from '../../core/rollout/blast-radius.ts';
import { rolloutDefinition, STATE_STEPS } from '../../core/rollout/definition.ts';
import type { RolloutDeps } from './deps.ts';
import type { RolloutInput } from './schemas.ts';
import { runStep } from './steps.ts';

export interface LocalRunOptions {
  /** Milliseconds the observation Wait state actually waits (default: 0; the window is read from the store). */
  observationWaitMs?: number;
}

export interface LocalRunResult {
  status: 'SUCCEEDED' | 'FAILED';
  error?: string;
  cause?: string;
  output?: unknown;
  /** Task states entered, in order, with the class they ran for. */
  path: string[];
}

export async function runRolloutLocal(
  deps: RolloutDeps,
  input: RolloutInput,
  opts: LocalRunOptions = {},
): Promise<LocalRunResult> {
  const definition = rolloutDefinition({ workerQueueUrl: 'local://warden-worker' });
  const sm = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const path: string[] = [];
  const handlers = Object.fromEntries(
    Object.entries(STATE_STEPS).map(([state, step]) => [
      state,
      async (params: unknown) => {
        const body = (params as { MessageBody: { input: Record<string, unknown> } }).MessageBody;
        path.push(body.input.class ? `${state}(${String(body.input.class)})` : state);
        return (await runStep(step, body.input, deps)) as never;
      },
    ]),
  );
  // Every path the definition reads must exist: fill the defaults the CLI would.
  const full: RolloutInput = { ...input, threshold: input.threshold ?? DEFAULT_THRESHOLD };
  const execution = sm.run(full as never, {
    overrides: {
      taskResourceLocalHandlers: handlers,
      waitTimeOverrides: { ObservationWait: opts.observationWaitMs ?? 0 },
    },
    context: { Task: { Token: 'local' }, Execution: { Id: `local:${input.rolloutId}` } } as never,
  });
  try {
    const output = await execution.result;
    return { status: 'SUCCEEDED', output, path };
  } catch (err) {
    // ExecutionError.cause is the runtime error: a Fail state's error name and its cause text.
    const inner = (err as { cause?: { name?: string; message?: string } }).cause;
    return { status: 'FAILED', error: inner?.name ?? 'Error', cause: inner?.message ?? String(err), path };
  }
}
