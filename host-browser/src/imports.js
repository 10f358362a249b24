// The import object for the transpiled emulator (jco `--instantiation async`
// output): WASI 0.2 from @bytecodealliance/preview2-shim (the browser or the
// Node build, passed in by the caller), `friscy:*` from our own modules, and
// `wasi:cli/exit` replaced by ours so that an exit never ends the host page or
// the Node process (the Node shim calls process.exit()).

/** Thrown by `wasi:cli/exit` calls; the driver turns it into an exit status. */
export class GuestExit extends Error {
  constructor(code) {
    super(`emulator called wasi:cli/exit with status ${code}`);
    this.name = 'GuestExit';
    this.code = code;
  }
}

export const exitInterface = {
  exit(status) {
    throw new GuestExit(status?.tag === 'err' ? 1 : 0);
  },
  exitWithCode(code) {
    throw new GuestExit(code & 0xff);
  },
};

function kebab(name) {
  return name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/**
 * @param {Record<string, Record<string, object>>} shim the preview2-shim
 *   namespace (`import * as shim from '@bytecodealliance/preview2-shim'`):
 *   { cli: { environment, exit, stdin, ... }, io: { poll, streams, ... }, ... }
 * @param {{rootfs: object, terminalControl: object}} friscy
 * @returns {Record<string, object>} keyed by unversioned interface name,
 *   e.g. 'wasi:io/streams', as the instantiation-mode output looks them up
 */
export function buildImports(shim, { rootfs, terminalControl }) {
  const imports = {};
  for (const [pkg, ifaces] of Object.entries(shim)) {
    if (!ifaces || typeof ifaces !== 'object') continue;
    for (const [iface, impl] of Object.entries(ifaces)) {
      if (iface.startsWith('_') || !impl || typeof impl !== 'object') continue;
      imports[`wasi:${pkg}/${kebab(iface)}`] = impl;
    }
  }
  imports['wasi:cli/exit'] = exitInterface;
  imports['friscy:emulator/rootfs'] = rootfs;
  imports['friscy:emulator/terminal-control'] = terminalControl;
  return imports;
}

/**
 * Which interfaces and functions the transpiled module needs, read from its
 * source (`const { a, b } = imports['wasi:x/y'];` lines).
 * @param {string} source the text of the transpiled emulator.js
 * @returns {Map<string, string[]>}
 */
export function requiredImports(source) {
  const need = new Map();
  const re = /const \{([^}]*)\} = imports\['([^']+)'\];/g;
  for (const m of source.matchAll(re)) {
    const names = m[1].split(',').map((s) => s.trim().split(':')[0].trim()).filter(Boolean);
    need.set(m[2], names);
  }
  return need;
}

/** Names from `requiredImports` that `imports` does not provide, as 'iface#name'. */
export function missingImports(need, imports) {
  const missing = [];
  for (const [iface, names] of need) {
    const impl = imports[iface];
    for (const name of names) {
      if (!impl || impl[name] === undefined) missing.push(`${iface}#${name}`);
    }
  }
  return missing;
}
