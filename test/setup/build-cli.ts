/**
 * Global setup: builds the compiled CLI once before any test spawns it (bin/warden.js would otherwise rebuild in the
 * first CLI process of each file that finds it stale, several at once).
 */
export default async function setup(): Promise<void> {
  // @ts-expect-error: a plain ES module without type declarations
  const { buildCli } = (await import('../../scripts/build-cli.mjs')) as { buildCli: () => Promise<string> };
  await buildCli();
}
