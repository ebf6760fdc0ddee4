import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import ts from 'typescript';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

export interface TestServer {
  readonly origin: string;
  /** Requests served so far, by path (to check what the cache fetched). */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * A static server on 127.0.0.1 with COOP/COEP (cross-origin isolation, so WASM threads work).
 * `mounts` maps URL prefixes to folders; a request for `<prefix>/x.js` whose file is `x.ts`
 * gets the TypeScript transpiled (test pages are written in TypeScript).
 */
export async function startTestServer(mounts: Record<string, string>, pages: Record<string, string> = {}) {
  const hits = new Map<string, number>();
  const resolveFile = (urlPath: string): string | undefined => {
    for (const [prefix, dir] of Object.entries(mounts)) {
      if (!urlPath.startsWith(prefix)) continue;
      const rel = decodeURIComponent(urlPath.slice(prefix.length));
      const file = path.resolve(dir, rel);
      if (!file.startsWith(path.resolve(dir) + path.sep)) return undefined;
      return file;
    }
    return undefined;
  };
  const server: Server = createServer(async (req, res) => {
    const urlPath = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(urlPath, (hits.get(urlPath) ?? 0) + 1);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', 'no-store');
    try {
      if (urlPath in pages) {
        res.writeHead(200, { 'Content-Type': TYPES['.html'] });
        res.end(pages[urlPath]);
        return;
      }
      const file = resolveFile(urlPath);
      if (!file) {
        res.writeHead(404).end();
        return;
      }
      let body: Buffer | string;
      let ext = path.extname(file);
      const exists = await stat(file).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists && ext === '.js') {
        const source = await readFile(`${file.slice(0, -3)}.ts`, 'utf8');
        body = ts.transpileModule(source, {
          compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, verbatimModuleSyntax: true },
        }).outputText;
      } else {
        body = await readFile(file);
      }
      ext = ext || '.bin';
      res.writeHead(200, { 'Content-Type': TYPES[ext] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      if (!res.headersSent) res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return result;
}
