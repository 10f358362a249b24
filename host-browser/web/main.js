// The page: an xterm.js terminal wired to a Worker that runs the emulator.
//
// Query parameters:
//   image=URL     the rootfs image (default: the image manifest.json names, as in a
//                 `friscy-pack` bundle, else rootfs.tar next to this page)
//   cmd=PATH      the program to run (default: the image's entrypoint)
//   arg=A         its arguments, repeatable, in order
//   env=K=V       environment additions, repeatable
//
// For tests and embedders, `window.friscy` exposes the terminal and the state;
// when the guest exits, the terminal shows `[exited N]`, document.title becomes
// `friscy: exited N` and <body> gets data-state="exited" data-exit-code="N".

import { Terminal } from './vendor/xterm/xterm.mjs';
import { FitAddon } from './vendor/xterm/addon-fit.mjs';

/** How much guest output `window.friscy.output` keeps (the terminal keeps its own scrollback). */
const OUTPUT_KEEP = 16 << 20;

const params = new URLSearchParams(location.search);
// A friscy-pack bundle (OUT/web/) has manifest.json (the image file, its name and
// config), announced by a <meta name="friscy-manifest"> the packer adds.
const manifestMeta = document.querySelector('meta[name="friscy-manifest"]');
const manifest = manifestMeta
  ? await fetch(new URL(manifestMeta.content, location.href))
      .then((res) => (res.ok ? res.json() : null))
      .catch(() => null)
  : null;
const imageUrl = new URL(params.get('image') || manifest?.image || 'rootfs.tar', location.href).href;
const cmd = params.get('cmd');
const args = cmd ? [cmd, ...params.getAll('arg')] : [];
const env = params.getAll('env').map((kv) => {
  const i = kv.indexOf('=');
  return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
});

const statusEl = document.getElementById('status');
const imageCommand = manifest ? [...(manifest.config?.Entrypoint ?? []), ...(manifest.config?.Cmd ?? [])].join(' ') : '';
document.getElementById('command').textContent = args.length ? args.join(' ') : imageCommand || '(image entrypoint)';
if (manifest?.name) document.title = `${manifest.name} · friscy`;

const term = new Terminal({
  cursorBlink: true,
  scrollback: 10000,
  fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace',
  fontSize: 14,
  // 1.0 clips underscores with several monospace fonts.
  lineHeight: 1.2,
  theme: { background: '#1e1e1e' },
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open(document.getElementById('terminal'));
fit.fit();

const state = {
  term,
  state: 'loading',
  exitCode: null,
  error: null,
  args,
  imageUrl,
  manifest,
  /** Output chunks as received, {fd, data: Uint8Array}, up to OUTPUT_KEEP bytes. */
  output: [],
  outputBytes: 0,
  outputTruncated: false,
  /** The visible screen plus scrollback, one string per line, right-trimmed. */
  screenLines() {
    const buf = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buf.length; i++) lines.push(buf.getLine(i)?.translateToString(true) ?? '');
    while (lines.length && lines[lines.length - 1] === '') lines.pop();
    return lines;
  },
};
window.friscy = state;

function setState(name, text) {
  state.state = name;
  document.body.dataset.state = name;
  statusEl.textContent = text;
}

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
const encoder = new TextEncoder();

function finish(text, cb) {
  // Put the marker on a line of its own, after all output has been parsed.
  term.write('', () => {
    const prefix = term.buffer.active.cursorX > 0 ? '\r\n' : '';
    term.write(prefix + text + '\r\n', cb);
  });
}

worker.onmessage = ({ data: msg }) => {
  switch (msg.type) {
    case 'status':
      setState(state.state, msg.text);
      break;
    case 'running':
      setState('running', 'running');
      break;
    case 'output':
      for (const chunk of msg.chunks) {
        state.outputBytes += chunk.data.length;
        if (state.outputBytes <= OUTPUT_KEEP) state.output.push(chunk);
        else state.outputTruncated = true;
        term.write(chunk.data);
      }
      break;
    case 'exit':
      state.stats = msg.stats;
      // Dim marker; hide the cursor (nothing reads input any more).
      finish(`\x1b[2m[exited ${msg.code}]\x1b[0m\x1b[?25l`, () => {
        state.exitCode = msg.code;
        document.body.dataset.exitCode = String(msg.code);
        document.title = `friscy: exited ${msg.code}`;
        setState('exited', `exited ${msg.code}`);
      });
      break;
    case 'error':
      fatal(msg.message);
      break;
  }
};
worker.onerror = (e) => {
  e.preventDefault?.();
  fatal(`worker failed: ${e.message || 'could not load the emulator'}`);
};

function fatal(message) {
  finish(`\x1b[31m[friscy: ${message}]\x1b[0m`, () => {
    state.error = message;
    document.title = 'friscy: error';
    setState('error', 'error');
  });
}

term.onData((s) => worker.postMessage({ type: 'input', data: encoder.encode(s) }));
term.onBinary((s) => {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
  worker.postMessage({ type: 'input', data: bytes });
});
term.onResize(({ rows, cols }) => worker.postMessage({ type: 'resize', rows, cols }));
new ResizeObserver(() => fit.fit()).observe(document.getElementById('terminal'));

worker.postMessage({ type: 'start', imageUrl, args, env, rows: term.rows, cols: term.cols });
term.focus();
