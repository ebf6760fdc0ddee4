// A static server for the example: serves the repository root with the COOP/COEP headers
// that make the page cross-origin isolated (WebAssembly threads need SharedArrayBuffer): the
// page (examples/web/), the builds (packages/*/dist/), onnxruntime-web's .mjs/.wasm
// (node_modules/onnxruntime-web/dist/), the default bundle (packages/model-tiny/bundle/) and the
// random-weight test bundle (fixtures/bundles/tiny-random/).
// Run from the repository root after `npm run build`: node examples/web/serve.mjs [port]
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.argv[2] ?? 8080);
const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.onnx': 'application/octet-stream',
  '.bin': 'application/octet-stream',
};

createServer((req, res) => {
  const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  let file = path.join(root, urlPath === '/' ? 'examples/web/index.html' : urlPath);
  if (!file.startsWith(root)) return res.writeHead(403).end();
  try {
    if (statSync(file).isDirectory()) file = path.join(file, 'index.html');
    statSync(file);
  } catch {
    return res.writeHead(404).end('not found');
  }
  res.writeHead(200, {
    'Content-Type': types[path.extname(file)] ?? 'application/octet-stream',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  });
  createReadStream(file).pipe(res);
}).listen(port, '127.0.0.1', () => console.log(`diffrestore web example: http://127.0.0.1:${port}/`));
