/**
 * Sets what a bundled handler reads from its environment in Lambda, for a run in this process against local
 * endpoints: the region, the emulators' credentials, Powertools quiet (no metrics, no traces), plus `env`.
 */
export function setLocalLambdaEnv(env: Record<string, string>): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'warden-local',
    AWS_SECRET_ACCESS_KEY: 'warden-local',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...env,
  });
}
