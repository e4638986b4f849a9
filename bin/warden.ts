/** The `warden` CLI entry (compiled to dist/cli by scripts/build-cli.mjs; bin/warden.js runs it). */
import '../lib/polyfills.ts';
import { main } from '../lib/cli/main.ts';

// The AWS SDK warns on every run under Node 20; README states the Node policy (22 supported, 20 tested).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// `warden ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await main(process.argv);
// A failed command may leave an SDK retry or a socket pending: the error line is out, leave now.
if (code !== 0) process.exit(code);
