/**
 * Recognizes MCP servers from how they are launched. A stdio MCP server is a child process, so the exec record's argv
 * names it: `npx -y @modelcontextprotocol/server-filesystem /data`, `uvx mcp-server-fetch`,
 * `python -m mcp_server_git`, `github-mcp-server stdio`, `node .../server-slack/dist/index.js`.
 */

export interface McpSpawn {
  transport: 'stdio';
  name: string;
}

const PATTERNS: RegExp[] = [
  /(@modelcontextprotocol\/server-[a-z0-9][\w.-]*)/i,
  /(?:^|\/)(@[\w.-]+\/[\w.-]*mcp[\w.-]*)/i,
  /(?:^|\/)(mcp-server-[a-z0-9][\w.-]*)/i,
  /(?:^|\/)(mcp_server_[a-z0-9]\w*)/i,
  /(?:^|\/)([a-z0-9][\w.-]*-mcp(?:-server)?)$/i,
  /(?:^|\/)([a-z0-9][\w.-]*-mcp-server)(?:$|\/)/i,
];

/** Strips a version (`pkg@1.2.3`) and script suffixes so one server is one name across versions. */
function cleanName(n: string): string {
  return n.replace(/(?<=.)@[^/@]+$/, '').replace(/\.(js|mjs|cjs|py)$/, '');
}

/**
 * The MCP server an exec starts, if any.
 * @example mcpServerFromArgv('/usr/bin/npx', ['npx', '-y', '@modelcontextprotocol/server-github@0.6.2']) // {transport:'stdio', name:'@modelcontextprotocol/server-github'}
 */
export function mcpServerFromArgv(path: string, argv: readonly string[]): McpSpawn | undefined {
  for (const arg of [path, ...argv]) {
    if (!arg || arg.startsWith('-')) continue;
    for (const re of PATTERNS) {
      const m = re.exec(arg);
      if (m) return { transport: 'stdio', name: cleanName(m[1]!) };
    }
  }
  return undefined;
}
