// The transpiled component itself: its imports are all provided by both
// preview2-shim builds, it exports the session interface, and a session run
// stays inside the session contract (no WASI stdio, no blocking poll).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import * as nodeShim from '@bytecodealliance/preview2-shim';
import { buildImports, requiredImports, missingImports } from '../src/imports.js';
import { loadNodeEmulator, packageDir } from '../src/node-host.js';
import { startMachine } from '../src/driver.js';
import { genDir, loadManifest } from './lib/fixtures.mjs';

const entry = path.join(genDir, 'emulator.js');

test('the transpiled component exists (npm run build)', () => {
  assert.ok(existsSync(entry), `${entry} is missing: run \`npm run build\``);
});

test('every import of the component is provided, in Node and in the browser', async () => {
  const need = requiredImports(readFileSync(entry, 'utf8'));
  assert.ok(need.has('friscy:emulator/rootfs'), 'imports friscy:emulator/rootfs');
  assert.ok(need.has('friscy:emulator/terminal-control'), 'imports friscy:emulator/terminal-control');
  const browserShim = await import(pathToFileURL(path.join(packageDir,
    'node_modules/@bytecodealliance/preview2-shim/dist/browser/index.js')).href);
  const friscy = { rootfs: { info() {}, read() {} }, terminalControl: { windowSize() {}, hostEchoes() {} } };
  for (const [name, shim] of [['node', nodeShim], ['browser', browserShim]]) {
    const imports = buildImports(shim, friscy);
    imports['wasi:cli/environment'] = { getEnvironment() {}, getArguments() {}, initialCwd() {} };
    assert.deepEqual(missingImports(need, imports), [], `the ${name} shim lacks these imports`);
  }
});

test('it exports friscy:emulator/session with the machine resource', async () => {
  const { Machine } = await loadNodeEmulator({ image: new Uint8Array(1024) });
  for (const m of ['run', 'pushInput', 'closeInput', 'takeOutput', 'setWindowSize']) {
    assert.equal(typeof Machine.prototype[m], 'function', `machine.${m}`);
  }
});

test('a session run uses no WASI stdio and never blocks in wasi:io/poll', async () => {
  const m = loadManifest();
  const calls = [];
  const spy = (iface, obj) => Object.fromEntries(Object.entries(obj).map(([k, f]) =>
    [k, typeof f === 'function' && !/^[A-Z]/.test(k) ? (...a) => { calls.push(`${iface}#${k}`); return f(...a); } : f]));
  const { Machine } = await loadNodeEmulator({
    imagePath: m.rootfsTar,
    size: { rows: 24, cols: 80 },
    wrapImports: (imports) => {
      for (const iface of ['wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr', 'wasi:io/poll',
        'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout', 'wasi:cli/terminal-stderr']) {
        if (imports[iface]) imports[iface] = spy(iface, imports[iface]);
      }
      return imports;
    },
  });
  const chunks = [];
  const h = startMachine(Machine, { args: ['/glibc/hello', 'a', 'b'],
    onOutput: (fd, d) => chunks.push(fd) });
  h.closeInput();
  const code = await h.done;
  assert.equal(typeof code, 'number');
  assert.deepEqual(calls, [], 'session mode touched WASI stdio/poll (output must go through take-output)');
  assert.ok(chunks.length > 0, 'some output came through take-output');
});
