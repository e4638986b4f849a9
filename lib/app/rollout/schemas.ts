/**
 * What crosses the rollout's boundaries, as zod schemas: the state input each step receives (from the worker queue
 * in AWS, from aws-local-stepfunctions locally), the worker queue message, and the approval callback. A step never
 * trusts a cast: a payload that does not parse fails the step with {@link InvalidStepInput}, which the state
 * machine does not retry (retrying the same payload cannot help).
 */
import { z } from 'zod';
import { ARTIFACT_KINDS } from '../../core/rollout/blast-radius.ts';
import { ROLLOUT_STEPS } from '../../core/rollout/definition.ts';

/** A step input that does not have the shape the step needs. */
export class InvalidStepInput extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // The error name is what Step Functions sees (SendTaskFailure `error`); `Warden.*` is passed through as is.
    this.name = 'Warden.InvalidStepInput';
  }
}

const id = z.string().min(1).max(512);
const track = z.enum(['observe-in-production', 'pre-enforced']);
const source = z.enum(['production', 'staging']);

export const thresholdSchema = z.object({
  maxWouldDenyEvents: z.number().min(0),
  maxWouldDenyRatio: z.number().min(0).max(1),
});

export const rolloutSubjectSchema = z.object({ subject: id, class: id, track });

const time = z.string().min(1).max(64);
const evaluationModeName = z.enum(['after-monitor', 'held-out']);

/** How the blast radius window is chosen (steps.ts `EvaluationMode`); recorded with the rollout at plan time. */
export const evaluationSchema = z.object({
  mode: evaluationModeName,
  holdoutDays: z.number().positive().max(3650),
});

/** The execution input (`warden rollout start`, or StartExecution against the deployed state machine). */
export const rolloutInputSchema = z
  .object({
    rolloutId: id,
    subjects: z.array(rolloutSubjectSchema).max(10_000),
    observationSeconds: z.number().int().min(0).optional(),
    threshold: thresholdSchema.optional(),
    /** Default: after-monitor (held-out for the pre-enforced track). */
    evaluation: evaluationSchema.optional(),
  })
  .passthrough();
export type RolloutInput = z.infer<typeof rolloutInputSchema>;

/** One would-be-denied key as the IAM pull request body quotes it (the example's other fields pass through). */
const wouldDenyExampleSchema = z
  .object({ subject: id, key: z.string().max(4096), count: z.number(), reason: z.string().max(4096) })
  .passthrough();

/**
 * The blast-radius summary a class carries into its later states. The fields the later steps read are checked (the
 * enforce gate reads `measured` and `withinThreshold`, the IAM proposal the window, verdict and IAM figures, the
 * record the not-measured classes); the rest of the summary passes through as the measuring step wrote it.
 */
const blastSchema = z
  .object({
    measured: z.boolean(),
    notMeasured: z.array(z.enum(ARTIFACT_KINDS)),
    withinThreshold: z.boolean(),
    source,
    evaluatedEvents: z.number(),
    wouldDenyEvents: z.number(),
    threshold: thresholdSchema,
    window: z.object({ from: time, to: time, mode: evaluationModeName }),
    generatedUntil: time,
    verdict: z.string().max(4096),
    perArtifact: z
      .object({
        iam: z
          .object({
            measured: z.boolean(),
            evaluatedEvents: z.number(),
            wouldDenyEvents: z.number(),
            examples: z.array(wouldDenyExampleSchema),
          })
          .passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

/** One class's state inside the Map (ItemSelector plus what its earlier states added). */
export const classInputSchema = z
  .object({
    rolloutId: id,
    class: id,
    track,
    subjects: z.array(id).max(10_000),
    observationSeconds: z.number().int().min(0).optional(),
    threshold: thresholdSchema.optional(),
    artifacts: z
      .object({
        subjects: z.array(z.object({ subject: id, baselineVersion: z.number(), files: z.array(z.string()) })),
        source,
        /** Only data before this time went into the artifacts (the evaluation window starts here or later). */
        generatedUntil: time.optional(),
      })
      .optional(),
    monitor: z
      .object({ applied: z.array(z.string()), completedAt: time.optional() })
      .passthrough()
      .optional(),
    blast: blastSchema.optional(),
    error: z.unknown().optional(),
  })
  .passthrough();
export type ClassInput = z.infer<typeof classInputSchema>;

/** The input of RecordDone / RecordStop: the whole execution state after the Map (or after its Catch). */
export const recordInputSchema = z
  .object({
    rolloutId: id,
    /** What each class ended with (its Map iteration's state); `blast.measured` names the classes not measured. */
    classes: z
      .array(z.object({ class: id, blast: z.object({ measured: z.boolean() }).passthrough().optional() }).passthrough())
      .optional(),
    error: z.unknown().optional(),
    plan: z
      .object({ classes: z.array(z.object({ class: id, subjects: z.array(id).optional() }).passthrough()) })
      .passthrough()
      .optional(),
  })
  .passthrough();

/** Parses a step input, naming the step and the first problems on failure. */
export function parseStepInput<S extends z.ZodTypeAny>(schema: S, step: string, input: unknown): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(input)'}: ${i.message}`)
    .join('; ');
  throw new InvalidStepInput(`step ${step}: invalid input: ${problems}`, { cause: r.error });
}

/** A message the state machine sends to the worker queue (`sqs:sendMessage.waitForTaskToken`). */
export const workerMessageSchema = z.object({
  step: z.enum(ROLLOUT_STEPS),
  taskToken: z.string().min(1).max(4096),
  execution: z.string().max(2048).optional(),
  input: z.record(z.string(), z.unknown()),
});

/** An approval decision on a proposed IAM tightening (approval endpoint body, `warden rollout approve`). */
export const approvalRequestSchema = z
  .object({
    approvalId: id,
    decision: z.enum(['approve', 'reject']),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type ApprovalRequest = z.infer<typeof approvalRequestSchema>;
