// The Worker: opens the image (on demand by range requests where it can, see
// lib/http-image.js), instantiates the transpiled emulator with the
// browser preview2-shim, and runs the session driver. Messages:
//   in:  {type:'start', imageUrl, args, env, rows, cols}
//        {type:'input', data: Uint8Array} | {type:'close-input'}
//        {type:'resize', rows, cols}
//   out: {type:'status', text} | {type:'running'}
//        {type:'output', chunks: [{fd, data: Uint8Array}]}
//        {type:'exit', code, stats: {..., image?: {size, fetched, requests}}}
//        {type:'error', message}

import * as shim from './vendor/preview2-shim/index.js';
import { instantiate } from './gen/emulator.js';
import { loadEmulator, startMachine } from './lib/driver.js';
import { createFailingRootfs } from './lib/rootfs.js';
import { openHttpImage } from './lib/http-image.js';
import { createTerminalControl } from './lib/terminal.js';

let size = { rows: 24, cols: 80 };
let handle = null;
const early = []; // messages that arrive before the machine exists

const compiled = new Map();
function getCoreModule(name) {
  if (!compiled.has(name)) compiled.set(name, compile(name));
  return compiled.get(name);
}

async function compile(name) {
  const url = new URL(`./gen/${name}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot fetch ${url}: ${res.status} ${res.statusText}`);
  if (WebAssembly.compileStreaming && res.headers.get('content-type')?.startsWith('application/wasm')) {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

// Batch output chunks per turn of the event loop: one message, buffers moved.
let pending = [];
function flush() {
  const chunks = pending;
  pending = [];
  const transfer = chunks.map((c) => c.data.buffer);
  postMessage({ type: 'output', chunks }, transfer);
}
function onOutput(fd, data) {
  // Own buffer exactly, so it can be transferred.
  const own = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
  if (pending.length === 0) queueMicrotask(flush);
  pending.push({ fd, data: own });
}

async function start({ imageUrl, args, env, rows, cols }) {
  size = { rows, cols };
  postMessage({ type: 'status', text: 'loading image…' });
  // Compile the emulator while the image downloads.
  getCoreModule('emulator.core.wasm').catch(() => {});
  const onStatus = (text) => postMessage({ type: 'status', text });
  // An unreadable image is reported by the emulator itself, as for any other.
  const rootfs = await openHttpImage(imageUrl, { onStatus }).catch((err) => createFailingRootfs(err.message));
  postMessage({ type: 'status', text: 'starting…' });
  const { Machine } = await loadEmulator({
    instantiate,
    getCoreModule,
    shim,
    rootfs,
    terminalControl: createTerminalControl(() => size),
  });
  postMessage({ type: 'running' });
  // The size reaches the emulator through terminal-control at boot; later
  // changes go through set-window-size (SIGWINCH).
  handle = startMachine(Machine, { args, env, onOutput });
  for (const m of early.splice(0)) handleMessage(m);
  const code = await handle.done;
  if (pending.length) flush();
  // stats.image: bytes of the image fetched on demand (ranged images only).
  postMessage({ type: 'exit', code, stats: { ...handle.stats, image: rootfs.stats?.() } });
}

function handleMessage(msg) {
  switch (msg.type) {
    case 'input':
      handle.pushInput(msg.data);
      break;
    case 'close-input':
      handle.closeInput();
      break;
    case 'resize':
      size = { rows: msg.rows, cols: msg.cols };
      handle.resize(msg.rows, msg.cols);
      break;
  }
}

self.onmessage = ({ data: msg }) => {
  if (msg.type === 'start') {
    start(msg).catch((err) => {
      if (pending.length) flush();
      postMessage({ type: 'error', message: String(err?.message ?? err) });
    });
  } else if (msg.type === 'resize' && !handle) {
    size = { rows: msg.rows, cols: msg.cols };
  } else if (!handle) {
    early.push(msg);
  } else {
    handleMessage(msg);
  }
};
