#!/usr/bin/env node
// A small static file server for the built site (dev and tests).
//
//   node scripts/serve.mjs [DIR=dist] [--port N] [--host H] [--no-ranges] [--file /URLPATH=FILE ...]
//
// Serves DIR on 127.0.0.1 (a random free port unless --port), with correct
// types for .js/.mjs/.wasm, HEAD and single byte-range requests (the image
// loader reads friscy images by them; `ranges: false` turns them off, as
// on servers without), a count of requests and body bytes per path, and `--file` to serve extra files (e.g. a rootfs
// image kept outside DIR) at a given path. No COOP/COEP headers, on purpose:
// the page must work without them.

import http from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.tar': 'application/x-tar',
};

/**
 * @param {{root: string, files?: Record<string,string>, port?: number, host?: string,
 *   ranges?: boolean, log?: (line: string) => void}} o
 * @returns {Promise<{url: string, port: number, close: () => Promise<void>,
 *   served: (urlPath: string) => {requests: number, ranged: number, bytes: number}}>}
 */
export function startServer({ root, files = {}, port = 0, host = '127.0.0.1', ranges = true, log = () => {} }) {
  const rootDir = path.resolve(root);
  const counts = new Map();
  const server = http.createServer(async (req, res) => {
    const send = (code, text) => {
      res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : text + '\n');
      log(`${req.method} ${req.url} ${code}`);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
      let pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (pathname.endsWith('/')) pathname += 'index.html';
      let file = files[pathname];
      if (!file) {
        file = path.join(rootDir, pathname);
        if (file !== rootDir && !file.startsWith(rootDir + path.sep)) return send(403, 'forbidden');
      }
      let st;
      try {
        st = await stat(file);
      } catch {
        return send(404, 'not found');
      }
      if (!st.isFile()) return send(404, 'not found');
      const headers = {
        'content-type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'accept-ranges': ranges ? 'bytes' : 'none',
        'cache-control': 'no-cache',
        'last-modified': st.mtime.toUTCString(),
      };
      let start = 0;
      let end = st.size - 1;
      let code = 200;
      const range = ranges ? req.headers.range : undefined;
      if (range) {
        const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
        if (!m || (m[1] === '' && m[2] === '')) {
          res.writeHead(416, { 'content-range': `bytes */${st.size}` });
          res.end();
          return;
        }
        if (m[1] === '') {
          start = Math.max(0, st.size - Number(m[2]));
        } else {
          start = Number(m[1]);
          if (m[2] !== '') end = Math.min(end, Number(m[2]));
        }
        if (start >= st.size || start > end) {
          res.writeHead(416, { 'content-range': `bytes */${st.size}` });
          res.end();
          return;
        }
        code = 206;
        headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
      }
      headers['content-length'] = String(st.size === 0 ? 0 : end - start + 1);
      res.writeHead(code, headers);
      log(`${req.method} ${req.url} ${code}`);
      if (req.method === 'HEAD' || st.size === 0) return res.end();
      const count = counts.get(pathname) ?? { requests: 0, ranged: 0, bytes: 0 };
      counts.set(pathname, count);
      count.requests++;
      if (code === 206) count.ranged++;
      count.bytes += end - start + 1;
      createReadStream(file, { start, end }).on('error', () => res.destroy()).pipe(res);
    } catch (err) {
      send(500, String(err));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        url: `http://${host}:${actual}/`,
        port: actual,
        served: (urlPath) => ({ ...(counts.get(urlPath) ?? { requests: 0, ranged: 0, bytes: 0 }) }),
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  let root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  let port = 0;
  let host = '127.0.0.1';
  let ranges = true;
  const files = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') port = Number(argv[++i]);
    else if (a === '--host') host = argv[++i];
    else if (a === '--no-ranges') ranges = false;
    else if (a === '--file') {
      const spec = argv[++i] ?? '';
      const eq = spec.indexOf('=');
      if (eq < 1 || !spec.startsWith('/')) {
        console.error('--file wants /URLPATH=FILE');
        process.exit(2);
      }
      files[spec.slice(0, eq)] = path.resolve(spec.slice(eq + 1));
    } else if (a.startsWith('-')) {
      console.error(`unknown option ${a}`);
      process.exit(2);
    } else root = path.resolve(a);
  }
  const { url } = await startServer({ root, files, port, host, ranges, log: (l) => console.log(l) });
  console.log(`serving ${root} at ${url}`);
}
