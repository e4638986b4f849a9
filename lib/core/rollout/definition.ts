/**
 * The rollout state machine, as one Amazon States Language definition used everywhere: deployed by CDK
 * (lib/infra), executed locally by aws-local-stepfunctions (lib/app/rollout/local.ts) and in moto_server's Step
 * Functions in the emulator test.
 *
 * Every step is a Task that sends the step request to the Warden worker queue with a task token
 * (`sqs:sendMessage.waitForTaskToken`); the worker (a Lambda on the queue in AWS, an in-process loop locally and in
 * tests) runs the step and answers SendTaskSuccess/SendTaskFailure. The same pattern serves the IAM pull request,
 * whose token is only answered when the merge/close webhook arrives. This keeps the definition identical on AWS and
 * on emulators that cannot run Lambda tasks.
 *
 * Flow, per agent class in ascending risk order (Map with MaxConcurrency 1):
 *   Track? -> (observe-in-production) Generate -> ApplyMonitor -> ObservationWait -> MeasureBlastRadius
 *          -> (pre-enforced) GenerateFromStaging -> MeasureBlastRadius
 *   WithinThreshold? -> Enforce -> IamPullRequest (waits for review) -> ClassEnforced
 *                    -> Rollback -> EmitRolledBack -> ClassRolledBack (Fail: stops the whole rollout)
 *                    -> (empty evaluation window) NotMeasured (the class is not enforced; the next class goes on)
 * A failure anywhere stops the rollout: the Map's Catch records the stop and the execution fails.
 */

export const ROLLOUT_STEPS = [
  'plan',
  'generate',
  'generate-from-staging',
  'apply-monitor',
  'measure-blast-radius',
  'enforce',
  'iam-pull-request',
  'rollback',
  'emit-rolled-back',
  'record-stop',
  'record-done',
] as const;
export type RolloutStep = (typeof ROLLOUT_STEPS)[number];

/** Task state name -> step, so local handlers and the worker dispatch on the same names. */
export const STATE_STEPS: Record<string, RolloutStep> = {
  Plan: 'plan',
  Generate: 'generate',
  GenerateFromStaging: 'generate-from-staging',
  ApplyMonitor: 'apply-monitor',
  MeasureBlastRadius: 'measure-blast-radius',
  Enforce: 'enforce',
  IamPullRequest: 'iam-pull-request',
  Rollback: 'rollback',
  EmitRolledBack: 'emit-rolled-back',
  RecordStop: 'record-stop',
  RecordDone: 'record-done',
};

export interface DefinitionOptions {
  /** URL of the worker queue (a CloudFormation token in CDK). */
  workerQueueUrl: string;
  /** Heartbeat-free timeout of an ordinary step, seconds. */
  stepTimeoutSeconds?: number;
  /** How long the IAM pull request may wait for review, seconds (default 14 days). */
  reviewTimeoutSeconds?: number;
}

type State = Record<string, unknown>;

const RETRY = [
  {
    ErrorEquals: ['States.Timeout', 'States.TaskFailed', 'Warden.Transient'],
    IntervalSeconds: 2,
    BackoffRate: 2,
    MaxAttempts: 3,
  },
];

function task(
  step: RolloutStep,
  next: string | undefined,
  opts: DefinitionOptions,
  extra: State = {},
  catchTo?: string,
): State {
  const timeout =
    step === 'iam-pull-request' ? (opts.reviewTimeoutSeconds ?? 14 * 86_400) : (opts.stepTimeoutSeconds ?? 900);
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
    Parameters: {
      QueueUrl: opts.workerQueueUrl,
      MessageBody: {
        step,
        'taskToken.$': '$$.Task.Token',
        'execution.$': '$$.Execution.Id',
        'input.$': '$',
      },
    },
    TimeoutSeconds: timeout,
    // The IAM review is a human: retrying a timed-out review would reopen the pull request.
    ...(step === 'iam-pull-request' ? {} : { Retry: RETRY }),
    ...(catchTo ? { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: catchTo }] } : {}),
    ...extra,
    ...(next ? { Next: next } : { End: true }),
  };
}

/** The ASL definition (a plain object; JSON.stringify it for CloudFormation / CreateStateMachine). */
export function rolloutDefinition(opts: DefinitionOptions): { Comment: string; StartAt: string; States: State } {
  const classStates: State = {
    Track: {
      Type: 'Choice',
      Choices: [{ Variable: '$.track', StringEquals: 'pre-enforced', Next: 'GenerateFromStaging' }],
      Default: 'Generate',
    },
    Generate: task('generate', 'ApplyMonitor', opts, { ResultPath: '$.artifacts' }, 'StepFailed'),
    GenerateFromStaging: task(
      'generate-from-staging',
      'MeasureBlastRadius',
      opts,
      { ResultPath: '$.artifacts' },
      'StepFailed',
    ),
    ApplyMonitor: task('apply-monitor', 'ObservationWait', opts, { ResultPath: '$.monitor' }, 'StepFailed'),
    ObservationWait: { Type: 'Wait', SecondsPath: '$.observationSeconds', Next: 'MeasureBlastRadius' },
    MeasureBlastRadius: task('measure-blast-radius', 'WithinThreshold', opts, { ResultPath: '$.blast' }, 'StepFailed'),
    WithinThreshold: {
      Type: 'Choice',
      Choices: [
        // An empty evaluation window measured nothing: this class is not enforced (what monitor applied stays, nothing
        // rolls back) and the next class is judged on its own evidence.
        { Variable: '$.blast.measured', BooleanEquals: false, Next: 'NotMeasured' },
        { Variable: '$.blast.withinThreshold', BooleanEquals: true, Next: 'Enforce' },
      ],
      Default: 'Rollback',
    },
    Enforce: task('enforce', 'IamPullRequest', opts, { ResultPath: '$.enforced' }, 'StepFailed'),
    IamPullRequest: task('iam-pull-request', 'ClassEnforced', opts, { ResultPath: '$.pullRequest' }, 'StepFailed'),
    ClassEnforced: { Type: 'Succeed' },
    Rollback: task('rollback', 'EmitRolledBack', opts, { ResultPath: '$.rollback' }, 'StepFailed'),
    EmitRolledBack: task('emit-rolled-back', 'ClassRolledBack', opts, { ResultPath: '$.event' }, 'StepFailed'),
    StepFailed: { Type: 'Fail', Error: 'Warden.StepFailed', Cause: 'a rollout step failed after its retries' },
    NotMeasured: {
      Type: 'Succeed',
      Comment: 'no events in the evaluation window: the blast radius was not measured, so the class is not enforced',
    },
    ClassRolledBack: {
      Type: 'Fail',
      Error: 'Warden.BlastRadiusExceeded',
      Cause: 'would-be-denied legitimate events over the threshold; artifacts rolled back',
    },
  };
  return {
    Comment: 'Warden rollout: per agent class, monitor first, measure blast radius, then enforce or roll back',
    StartAt: 'Plan',
    States: {
      Plan: task('plan', 'Classes', opts, { ResultPath: '$.plan' }, 'RecordStop'),
      Classes: {
        Type: 'Map',
        ItemsPath: '$.plan.classes',
        MaxConcurrency: 1,
        ItemSelector: {
          'rolloutId.$': '$.rolloutId',
          'class.$': '$$.Map.Item.Value.class',
          'track.$': '$$.Map.Item.Value.track',
          'subjects.$': '$$.Map.Item.Value.subjects',
          'observationSeconds.$': '$.observationSeconds',
          'threshold.$': '$.threshold',
        },
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Track', States: classStates },
        ResultPath: '$.classes',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordStop' }],
        Next: 'RecordDone',
      },
      RecordDone: task('record-done', 'Done', opts, { ResultPath: '$.record' }, 'Stopped'),
      Done: { Type: 'Succeed' },
      RecordStop: task('record-stop', 'Stopped', opts, { ResultPath: '$.record' }, 'Stopped'),
      Stopped: {
        Type: 'Fail',
        Error: 'Warden.RolloutStopped',
        Cause: 'a class exceeded its blast radius or a step failed',
      },
    },
  };
}
