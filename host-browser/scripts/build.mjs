#!/usr/bin/env node
// npm run build: transpile ../dist/emulator.wasm with jco into gen/, check
// that the preview2-shim provides every import, and assemble the static site
// in dist/:
//
//   dist/index.html, main.js, worker.js, style.css   the page (from web/)
//   dist/lib/*.js                                    driver, rootfs, ... (from src/)
//   dist/gen/emulator.js, emulator.core*.wasm        the transpiled component
//   dist/vendor/preview2-shim/*.js                   the shim's browser build
//   dist/vendor/xterm/xterm.mjs, xterm.css           xterm.js
//
// Everything is plain ES modules with relative imports: no bundler, works on
// any static host (no COOP/COEP needed). The page loads `rootfs.tar` next to
// index.html unless ?image=URL says otherwise; `--image PATH` copies one in.
//
// Env: FRISCY_EMULATOR_WASM overrides the component path.

import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, copyFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoDir = path.resolve(pkgDir, '..');
const genDir = path.join(pkgDir, 'gen');
const distDir = path.join(pkgDir, 'dist');
const nm = path.join(pkgDir, 'node_modules');

function fail(msg) {
  console.error(`build: ${msg}`);
  process.exit(1);
}

const argv = process.argv.slice(2);
let imageArg = null;
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--image') imageArg = argv[++i];
  else fail(`unknown argument ${argv[i]} (usage: build.mjs [--image ROOTFS])`);
}

const wasm = path.resolve(process.env.FRISCY_EMULATOR_WASM || path.join(repoDir, 'dist', 'emulator.wasm'));
if (!existsSync(wasm)) fail(`${wasm} does not exist: build the emulator component first (just build)`);

// 1. Transpile.
const jcoPkg = JSON.parse(readFileSync(path.join(nm, '@bytecodealliance/jco/package.json'), 'utf8'));
const jcoBin = path.join(nm, '@bytecodealliance/jco', typeof jcoPkg.bin === 'string' ? jcoPkg.bin : jcoPkg.bin.jco);
rmSync(genDir, { recursive: true, force: true });
const jcoArgs = [
  'transpile', wasm, '-o', genDir,
  '--name', 'emulator',
  // instantiate(getCoreModule, imports): no bare specifiers in the output,
  // imports passed per instance (the image is not module-global state), and
  // the host decides how the core wasm is fetched and compiled.
  '--instantiation', 'async',
  '--quiet',
];
console.log(`build: jco ${jcoArgs.join(' ')}`);
const t0 = Date.now();
const r = spawnSync(process.execPath, [jcoBin, ...jcoArgs], { stdio: 'inherit' });
if (r.status !== 0) fail(`jco transpile failed (status ${r.status})`);
console.log(`build: transpiled in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// 2. Check that the shim provides every import the component has.
const { requiredImports, missingImports, buildImports } = await import(pathToFileURL(path.join(pkgDir, 'src/imports.js')).href);
const need = requiredImports(readFileSync(path.join(genDir, 'emulator.js'), 'utf8'));
const friscy = { rootfs: { info() {}, read() {} }, terminalControl: { windowSize() {}, hostEchoes() {} } };
const shimDir = path.join(nm, '@bytecodealliance/preview2-shim/dist');
let missingAny = false;
for (const flavor of ['browser', 'nodejs']) {
  const shim = await import(pathToFileURL(path.join(shimDir, flavor, 'index.js')).href);
  const imports = buildImports(shim, friscy);
  imports['wasi:cli/environment'] = { getEnvironment() {}, getArguments() {}, initialCwd() {} };
  const missing = missingImports(need, imports);
  if (missing.length) {
    missingAny = true;
    console.error(`build: the ${flavor} preview2-shim lacks: ${missing.join(', ')}`);
  }
}
console.log(`build: component imports: ${[...need.keys()].join(' ')}`);
if (missingAny) fail('unsatisfied component imports (see above)');

// 3. Assemble dist/.
rmSync(distDir, { recursive: true, force: true });
mkdirSync(distDir, { recursive: true });
const copyDir = (from, to, filter = () => true) => {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const src = path.join(from, name);
    if (statSync(src).isDirectory()) continue;
    if (filter(name)) copyFileSync(src, path.join(to, name));
  }
};
copyDir(path.join(pkgDir, 'web'), distDir);
copyDir(path.join(pkgDir, 'src'), path.join(distDir, 'lib'), (n) => n.endsWith('.js') && !n.startsWith('node-'));
copyDir(genDir, path.join(distDir, 'gen'), (n) => n.endsWith('.js') || n.endsWith('.wasm'));
copyDir(path.join(shimDir, 'browser'), path.join(distDir, 'vendor/preview2-shim'), (n) => n.endsWith('.js'));
cpSync(path.join(shimDir, '..', 'LICENSE'), path.join(distDir, 'vendor/preview2-shim/LICENSE'));
const xtermDir = path.join(nm, '@xterm/xterm');
mkdirSync(path.join(distDir, 'vendor/xterm'), { recursive: true });
copyFileSync(path.join(xtermDir, 'lib/xterm.mjs'), path.join(distDir, 'vendor/xterm/xterm.mjs'));
copyFileSync(path.join(xtermDir, 'css/xterm.css'), path.join(distDir, 'vendor/xterm/xterm.css'));
copyFileSync(path.join(xtermDir, 'LICENSE'), path.join(distDir, 'vendor/xterm/LICENSE'));
copyFileSync(path.join(nm, '@xterm/addon-fit/lib/addon-fit.mjs'), path.join(distDir, 'vendor/xterm/addon-fit.mjs'));
if (imageArg) copyFileSync(path.resolve(imageArg), path.join(distDir, 'rootfs.tar'));

let total = 0;
const walk = (d) => readdirSync(d).forEach((n) => {
  const p = path.join(d, n);
  if (statSync(p).isDirectory()) walk(p); else total += statSync(p).size;
});
walk(distDir);
console.log(`build: ${path.relative(process.cwd(), distDir) || '.'} ready (${(total / 1048576).toFixed(1)} MiB)`);
