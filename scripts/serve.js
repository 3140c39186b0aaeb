// A small static file server for the built site, on 127.0.0.1 only.
//   node scripts/serve.js [DIR] [--port N] [--base /sub/path/]
// Also used by the browser tests (startServer), so they run over real HTTP.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream',
  '.txt': 'text/plain; charset=utf-8', '.md': 'text/plain; charset=utf-8',
};

// The site's one Content-Security-Policy. index.html and embed.html carry it in a
// <meta> tag, this server sends it as a header, the browser tests run under it and
// README.md states it; a browser test checks that all of them are this string.
// 'wasm-unsafe-eval' compiles the WebAssembly; `worker-src blob:` lets the page start
// the engine's Web Worker, whose source is a string in the page's script (a page
// opened from file:// may not start a worker from a file); nothing else is loosened.
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src blob:; style-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'";
export const SITE_HEADERS = { 'content-security-policy': CONTENT_SECURITY_POLICY };

// Serves `root` under the URL prefix `base`. Resolves with { server, url, requests }:
// `requests` logs every path asked for, so tests can check what the page fetched.
// `headers` are added to every response (e.g. a Content-Security-Policy).
export function startServer(root, { port = 0, base = '/', host = '127.0.0.1', headers = {} } = {}) {
  const rootDir = path.resolve(root);
  const requests = [];
  const server = http.createServer((req, res) => {
    // req.url is the request line's target as sent: '//x' (a browser sends it for
    // http://host//x) would be read as a host by new URL(target, base), and an
    // absolute or garbled target would throw; no request may stop the server.
    let url;
    try {
      if (!req.url.startsWith('/')) throw new Error('not a path');
      url = new URL(`http://localhost${req.url}`);
    } catch {
      return send(res, 400, 'bad request');
    }
    requests.push(url.pathname);
    if (!url.pathname.startsWith(base)) return send(res, 404, 'not found');
    let relative;
    try {
      relative = decodeURIComponent(url.pathname.slice(base.length));
    } catch {
      return send(res, 400, 'bad path');
    }
    const file = path.resolve(rootDir, `.${path.posix.sep}${relative}`);
    if (file !== rootDir && !file.startsWith(rootDir + path.sep)) return send(res, 403, 'forbidden');
    let target = file;
    if (fs.existsSync(target) && fs.statSync(target).isDirectory()) target = path.join(target, 'index.html');
    // Streamed, not read whole first: a 500 MB checkpoint beside the site starts
    // arriving at once instead of after the server has read all of it.
    fs.stat(target, (error, stat) => {
      if (error || !stat.isFile()) return send(res, 404, 'not found');
      const body = fs.createReadStream(target, { highWaterMark: 1 << 20 });
      body.on('error', () => res.destroy());  // gone since the stat: the client sees a cut response
      res.writeHead(200, { 'content-type': TYPES[path.extname(target)] || 'application/octet-stream',
        'content-length': stat.size, 'cache-control': 'no-cache', ...headers });
      body.pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ server, url: `http://${host}:${actual}${base}`, requests });
    });
  });
}

function send(res, status, text) {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : fallback;
  };
  const port = Number(flag('--port', '8080'));
  const base = flag('--base', '/');
  const root = args[0] || 'dist';
  startServer(root, { port, base, headers: SITE_HEADERS }).then(({ url }) => {
    console.log(`Serving ${root} at ${url}  (Ctrl+C to stop)`);
  }, (error) => {
    console.error(`Could not serve on port ${port}: ${error.message}`);
    process.exit(1);
  });
}
