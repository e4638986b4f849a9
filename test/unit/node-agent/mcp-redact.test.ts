import { describe, expect, it } from 'vitest';
import { mcpServerFromArgv } from '../../../node-agent/mcp.ts';
import { redactArgv } from '../../../node-agent/redact.ts';

describe('MCP server detection from exec', () => {
  it.each<[string, string[], string | undefined]>([
    ['/usr/bin/npx', ['npx', '-y', '@modelcontextprotocol/server-github@0.6.2'], '@modelcontextprotocol/server-github'],
    ['/usr/local/bin/uvx', ['uvx', 'mcp-server-fetch'], 'mcp-server-fetch'],
    ['/usr/bin/python3', ['python3', '-m', 'mcp_server_git', '--repository', '.'], 'mcp_server_git'],
    ['/usr/local/bin/github-mcp-server', ['github-mcp-server', 'stdio'], 'github-mcp-server'],
    ['/usr/bin/node', ['node', '/app/node_modules/@acme/jira-mcp/dist/index.js'], '@acme/jira-mcp'],
    ['/usr/bin/python3', ['python3', 'app.py'], undefined],
    ['/usr/bin/curl', ['curl', 'https://example.com'], undefined],
  ])('%s %j -> %s', (path, argv, name) => {
    expect(mcpServerFromArgv(path, argv)?.name).toBe(name);
  });
});

describe('argv redaction', () => {
  it.each<[string[], string[], boolean]>([
    [['psql', '--password', 'hunter2', '-h', 'db'], ['psql', '--password', '<redacted>', '-h', 'db'], true],
    [['app', '--api-key=sk-123'], ['app', '--api-key=<redacted>'], true],
    [['env', 'AWS_SECRET_ACCESS_KEY=abc', 'LANG=C'], ['env', 'AWS_SECRET_ACCESS_KEY=<redacted>', 'LANG=C'], true],
    [['curl', 'https://user:pw@example.com/x'], ['curl', 'https://<redacted>@example.com/x'], true],
    [
      ['aws', 'configure', 'set', 'key', 'AKIAIOSFODNN7EXAMPLE'],
      ['aws', 'configure', 'set', 'key', '<redacted>'],
      true,
    ],
    [
      ['python3', '/app/very/long/path/to/a/module/that/is/fine/main.py', 'serve'],
      ['python3', '/app/very/long/path/to/a/module/that/is/fine/main.py', 'serve'],
      false,
    ],
    [['ls', '-la', '/tmp'], ['ls', '-la', '/tmp'], false],
  ])('%j', (argv, want, redacted) => {
    expect(redactArgv(argv)).toEqual({ argv: want, redacted });
  });
});
