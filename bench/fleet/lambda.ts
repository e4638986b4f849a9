/**
 * The Lambda service, as the fleet benchmark plays it: loads the handlers bundled by `cdk synth` (the deployed
 * code), runs them in this process with the environment they have in AWS pointed at the bench endpoint, and meters
 * invocations, duration and GB-seconds with each function's configured memory. Durations are this machine's
 * (x86, shared), not Graviton's: GB-seconds are an estimate, the other counts are exact. A duration is the wall time
 * of the call less the time this thread waited, runnable, for a CPU (Linux schedstat): on a machine busy with other
 * jobs that wait is the machine's, not the function's, and it made the same run's GB-seconds vary threefold. What the
 * busy machine still adds (the emulator's own waits for a CPU, seen as I/O waits) is left in.
 */
import { readFileSync } from 'node:fs';
import { INGESTED_DETAIL_TYPE } from '../../lambdas/shared/ingest.ts';
import { synthesize } from '../../test/e2e/support/deploy.ts';
import { type Handler, lambdaContext, loadHandler } from '../../test/e2e/support/lambda-poller.ts';

export const FUNCTIONS = ['IngestObjects', 'IngestEvents', 'IngestHttp', 'Baselines', 'Drift'] as const;
export type Fn = (typeof FUNCTIONS)[number];

export interface Meter {
  invocations: Record<string, number>;
  ms: Record<string, number>;
  gbSeconds: Record<string, number>;
}

export const emptyMeter = (): Meter => ({ invocations: {}, ms: {}, gbSeconds: {} });

export interface Lambdas {
  /** Runs a handler: its result, wall time, CPU time of this process meanwhile, and heap growth. */
  invoke<T>(
    fn: Fn,
    event: unknown,
  ): Promise<{ result: T; ms: number; wallMs: number; cpuMs: number; peakHeapMb: number }>;
  meter: Meter;
  memoryMb: Record<Fn, number>;
  /** The SQS event source of a function, as synthesized: batch size and batching window. */
  eventSource: Partial<Record<Fn, { batchSize: number; windowSeconds: number }>>;
  /** The schedule draining a function's queue, as synthesized (warden:objectBatchMinutes above 5): its period. */
  drain: Partial<Record<Fn, { minutes: number }>>;
  /**
   * Minutes between scheduled Drift runs (`warden:driftMinutes`), as synthesized or as `loadLambdas` was told: 0 when
   * a rule runs Drift on every `Warden Observations Ingested` announcement (the ingest functions then have the bus).
   */
  driftMinutes: number;
}

/** Minutes of a rate schedule (`rate(15 minutes)`, `rate(1 hour)`), or undefined. */
function rateMinutes(expression: unknown): number | undefined {
  const m = /^rate\((\d+) (minute|hour)s?\)$/.exec(String(expression ?? ''));
  return m ? Number(m[1]) * (m[2] === 'hour' ? 60 : 1) : undefined;
}

/** Nanoseconds this thread has waited, runnable, for a CPU (Linux /proc schedstat); 0 where it cannot be read. */
function runQueueNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) || 0;
  } catch {
    return 0;
  }
}

/**
 * Synthesizes (cached) and loads the bundled handlers; `env` is what every function gets, but the Warden bus
 * (WARDEN_BUS_NAME) only where the template gives it, or, with `driftMinutes`, where a stack with that setting would
 * (every function at 0; none of the ingest functions above it).
 */
export async function loadLambdas(env: Record<string, string>, o: { driftMinutes?: number } = {}): Promise<Lambdas> {
  const synth = await synthesize();
  Object.assign(process.env, env);
  const handlers = {} as Record<Fn, Handler>;
  const memoryMb = {} as Record<Fn, number>;
  const eventSource: Lambdas['eventSource'] = {};
  const drain: Lambdas['drain'] = {};
  const resources = Object.entries(synth.template.Resources);
  const ruleTargets = (id: string) =>
    resources
      .filter(([, x]) => x.Type === 'AWS::Events::Rule')
      .map(([, rule]) => rule.Properties ?? {})
      .filter((p) =>
        ((p.Targets ?? []) as { Arn?: { 'Fn::GetAtt'?: string[] } }[]).some((t) => t.Arn?.['Fn::GetAtt']?.[0] === id),
      );
  const driftId = resources.find(
    ([, x]) => x.Type === 'AWS::Lambda::Function' && String(x.Metadata?.['aws:cdk:path']).includes('/Drift/Function/'),
  )?.[0];
  const driftRules = driftId ? ruleTargets(driftId) : [];
  const synthesizedDrift = driftRules.some((p) => JSON.stringify(p.EventPattern ?? {}).includes(INGESTED_DETAIL_TYPE))
    ? 0
    : (driftRules.map((p) => rateMinutes(p.ScheduleExpression)).find((m) => m !== undefined) ?? 60);
  const driftMinutes = o.driftMinutes ?? synthesizedDrift;
  for (const fn of FUNCTIONS) {
    const [id, r] = resources.find(
      ([, x]) =>
        x.Type === 'AWS::Lambda::Function' && String(x.Metadata?.['aws:cdk:path']).includes(`/${fn}/Function/`),
    )!;
    memoryMb[fn] = Number(r.Properties?.MemorySize ?? 128);
    const mapping = resources.find(
      ([, x]) =>
        x.Type === 'AWS::Lambda::EventSourceMapping' &&
        (x.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === id,
    )?.[1];
    if (mapping)
      eventSource[fn] = {
        batchSize: Number(mapping.Properties?.BatchSize ?? 10),
        windowSeconds: Number(mapping.Properties?.MaximumBatchingWindowInSeconds ?? 0),
      };
    for (const rule of ruleTargets(id)) {
      const minutes = rateMinutes(rule.ScheduleExpression);
      if (minutes !== undefined && JSON.stringify(rule.Targets).includes('\\"drain\\"')) drain[fn] = { minutes };
    }
    // The handler reads its environment when its module loads (lambdas/shared/runtime.ts).
    const vars = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const ingests = fn !== 'Baselines' && fn !== 'Drift';
    const bus = o.driftMinutes === undefined || !ingests ? 'WARDEN_BUS_NAME' in vars : o.driftMinutes === 0;
    if (bus && env.WARDEN_BUS_NAME) process.env.WARDEN_BUS_NAME = env.WARDEN_BUS_NAME;
    else delete process.env.WARDEN_BUS_NAME;
    const { join } = await import('node:path');
    handlers[fn] = await loadHandler(join(synth.outdir, String(r.Metadata?.['aws:asset:path']), 'index.mjs'));
  }
  if (env.WARDEN_BUS_NAME) process.env.WARDEN_BUS_NAME = env.WARDEN_BUS_NAME;
  const meter = emptyMeter();
  return {
    meter,
    memoryMb,
    eventSource,
    drain,
    driftMinutes,
    async invoke<T>(fn: Fn, event: unknown) {
      const heap0 = process.memoryUsage().heapUsed;
      let peak = heap0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }, 20);
      const t0 = performance.now();
      const queued0 = runQueueNs();
      const cpu0 = process.cpuUsage();
      try {
        const result = (await handlers[fn](event, lambdaContext(fn))) as T;
        const wallMs = performance.now() - t0;
        const ms = Math.max(1, Math.ceil(wallMs - (runQueueNs() - queued0) / 1e6));
        const cpu = process.cpuUsage(cpu0);
        const cpuMs = (cpu.user + cpu.system) / 1000;
        meter.invocations[fn] = (meter.invocations[fn] ?? 0) + 1;
        meter.ms[fn] = (meter.ms[fn] ?? 0) + ms;
        meter.gbSeconds[fn] = (meter.gbSeconds[fn] ?? 0) + (ms / 1000) * (memoryMb[fn] / 1024);
        return {
          result,
          ms,
          wallMs,
          cpuMs,
          peakHeapMb: (Math.max(peak, process.memoryUsage().heapUsed) - heap0) / 1048576,
        };
      } finally {
        clearInterval(sampler);
      }
    },
  };
}

/** The SQS event Lambda delivers for these message bodies. */
export function sqsEvent(bodies: string[], queue: string) {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m-${i}-${Math.random().toString(36).slice(2)}`,
      receiptHandle: 'r',
      body,
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: String(Date.now()),
        SenderId: 'AIDA',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
      awsRegion: 'us-east-1',
    })),
  };
}

/** The function URL event for a signed POST; a binary (gzip) body arrives base64-encoded. */
export function urlEvent(body: string, caller: string, base64 = false) {
  return {
    version: '2.0',
    rawPath: '/',
    body,
    isBase64Encoded: base64,
    headers: { 'content-type': base64 ? 'application/gzip' : 'application/json' },
    requestContext: {
      requestId: Math.random().toString(36).slice(2),
      http: { method: 'POST' },
      authorizer: { iam: { userArn: caller } },
    },
  };
}
