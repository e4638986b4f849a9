/**
 * A local HTTP server speaking the GitHub REST endpoints Warden uses (git refs, contents, pulls), recording what it
 * received. No network access: it listens on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGitHub {
  baseUrl: string;
  refs: Map<string, string>;
  files: Map<string, { branch: string; content: string; message: string }>;
  pulls: { number: number; head: string; base: string; title: string; body: string }[];
  requests: string[];
  /** Files of the base branch (path -> content), listed by the trees endpoint and read by the blobs endpoint. */
  baseFiles: Map<string, string>;
  close(): Promise<void>;
}

export async function startFakeGitHub(owner: string, repo: string): Promise<FakeGitHub> {
  const state: Omit<FakeGitHub, 'baseUrl' | 'close'> = {
    refs: new Map([['heads/main', 'a'.repeat(40)]]),
    files: new Map(),
    pulls: [],
    requests: [],
    baseFiles: new Map(),
  };
  const prefix = `/repos/${owner}/${repo}`;
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      state.requests.push(`${req.method} ${url.pathname}`);
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const body = raw ? JSON.parse(raw) : {};
      const path = decodeURIComponent(url.pathname);
      if (!path.startsWith(prefix)) return send(404, { message: 'Not Found' });
      const rest = path.slice(prefix.length);
      if (req.method === 'GET' && rest.startsWith('/git/ref/')) {
        const ref = rest.slice('/git/ref/'.length);
        const sha = state.refs.get(ref);
        return sha
          ? send(200, { ref: `refs/${ref}`, object: { sha, type: 'commit' } })
          : send(404, { message: 'Not Found' });
      }
      if (req.method === 'POST' && rest === '/git/refs') {
        const ref = String(body.ref).replace(/^refs\//, '');
        if (state.refs.has(ref)) return send(422, { message: 'Reference already exists' });
        state.refs.set(ref, body.sha);
        return send(201, { ref: body.ref, object: { sha: body.sha } });
      }
      if (rest.startsWith('/contents/')) {
        const file = rest.slice('/contents/'.length);
        if (req.method === 'GET') {
          const f = state.files.get(file);
          return f ? send(200, { type: 'file', sha: 'b'.repeat(40), path: file }) : send(404, { message: 'Not Found' });
        }
        if (req.method === 'PUT') {
          state.files.set(file, {
            branch: body.branch,
            content: Buffer.from(body.content, 'base64').toString('utf8'),
            message: body.message,
          });
          return send(201, { content: { path: file, sha: 'c'.repeat(40) } });
        }
      }
      if (req.method === 'GET' && rest.startsWith('/git/trees/')) {
        const tree = [...state.baseFiles].map(([p, content], i) => ({
          path: p,
          type: 'blob',
          mode: '100644',
          size: Buffer.byteLength(content),
          sha: String(i).padStart(40, '0'),
        }));
        return send(200, { sha: 'd'.repeat(40), tree, truncated: false });
      }
      if (req.method === 'GET' && rest.startsWith('/git/blobs/')) {
        const i = Number(rest.slice('/git/blobs/'.length));
        const entry = [...state.baseFiles][i];
        if (!entry) return send(404, { message: 'Not Found' });
        return send(200, {
          sha: rest.slice('/git/blobs/'.length),
          encoding: 'base64',
          content: Buffer.from(entry[1]).toString('base64'),
        });
      }
      if (req.method === 'POST' && rest === '/pulls') {
        const number = state.pulls.length + 1;
        state.pulls.push({ number, head: body.head, base: body.base, title: body.title, body: body.body });
        return send(201, { number, html_url: `https://github.example/${owner}/${repo}/pull/${number}`, state: 'open' });
      }
      return send(404, { message: `unhandled ${req.method} ${rest}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    ...state,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
