// Load the transpiled emulator in Node with the Node build of
// @bytecodealliance/preview2-shim (tests and scripts/run.mjs).

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import * as shim from '@bytecodealliance/preview2-shim';

import { loadEmulator } from './driver.js';
import { createRangedRootfs, createRootfs, createFailingRootfs, detectFormat } from './rootfs.js';
import { createTerminalControl } from './terminal.js';

export const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const defaultGenDir = path.join(packageDir, 'gen');

const compiled = new Map();

/**
 * @param {object} o
 * @param {string} [o.genDir] jco output directory (default: host-browser/gen)
 * @param {string} [o.imagePath] the rootfs image file (read on demand, as a
 *   browser reads one by range requests)
 * @param {Uint8Array} [o.image] or its bytes
 * @param {{rows:number, cols:number}|null} [o.size] terminal size; null (the
 *   default) means "not a terminal", so output bytes are what a pipe gets
 * @param {(imports: object) => object} [o.wrapImports] see loadEmulator
 */
export async function loadNodeEmulator({ genDir = defaultGenDir, imagePath, image, size = null, wrapImports } = {}) {
  const entry = path.join(genDir, 'emulator.js');
  let mod;
  try {
    mod = await import(pathToFileURL(entry).href);
  } catch (err) {
    throw new Error(`cannot load ${entry} (run \`npm run build\` first): ${err.message}`);
  }
  const getCoreModule = (name) => {
    const file = path.join(genDir, name);
    if (!compiled.has(file)) compiled.set(file, readFile(file).then((b) => WebAssembly.compile(b)));
    return compiled.get(file);
  };
  let rootfs;
  if (image) rootfs = createRootfs(image);
  else if (imagePath) {
    try {
      rootfs = openFileImage(imagePath);
    } catch (err) {
      rootfs = createFailingRootfs(`cannot read image ${imagePath}: ${err.message}`);
    }
  } else rootfs = createFailingRootfs('no image given');
  return loadEmulator({
    instantiate: mod.instantiate,
    getCoreModule,
    shim,
    rootfs,
    terminalControl: createTerminalControl(() => size),
    wrapImports,
  });
}

/** A rootfs over an image file, read with readSync as the emulator asks. */
export function openFileImage(file) {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 512));
    readSync(fd, head, 0, head.length, 0);
    const readRange = (start, end) => {
      const out = new Uint8Array(end - start);
      let done = 0;
      while (done < out.length) {
        const n = readSync(fd, out, done, out.length - done, start + done);
        if (n === 0) throw new Error(`image ${file} ended at ${start + done} bytes, expected ${size}`);
        done += n;
      }
      return out;
    };
    // The fd lives as long as the process: the emulator may read at any time.
    return createRangedRootfs({ size, format: size ? detectFormat(head) : 'tar', readRange });
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
