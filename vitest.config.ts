import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    setupFiles: ['test/setup/polyfills.ts'],
    globalSetup: ['test/setup/build-cli.ts'],
    // The AWS SDK warns once per process under Node 20 (README: Node 22 supported, 20 tested); CLI children inherit it.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    // The e2e tests import Lambda bundles from a synthesized assembly: Node loads them, not vitest's transform.
    server: { deps: { external: [/warden-e2e-cdk-[^/]+\/asset\./] } },
  },
});
