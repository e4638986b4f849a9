/** Ports in rule order: numerically, `*` (any port) last. Sorts in place and returns the array. */
export function sortPorts(ports: string[]): string[] {
  return ports.sort((a, b) => (a === '*' ? 1 : b === '*' ? -1 : Number(a) - Number(b)));
}
