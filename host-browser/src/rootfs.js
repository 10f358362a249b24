// `friscy:emulator/rootfs` served from an image held in memory.
//
// The whole image is loaded up front (an ArrayBuffer from fetch() in the
// browser, a file in Node); `read` answers synchronously from it, as the
// import must (the emulator never waits inside an import).

const USTAR = [0x75, 0x73, 0x74, 0x61, 0x72]; // "ustar" at offset 257

/**
 * Guess the image format: a tar (ustar, GNU or pax) has "ustar" at 257, and
 * an empty tar is all zeros; anything else is taken for friscy's format.
 */
export function detectFormat(bytes) {
  if (bytes.length >= 262 && USTAR.every((b, i) => bytes[257 + i] === b)) return 'tar';
  if (bytes.every((b) => b === 0)) return 'tar';
  return 'friscy';
}

/**
 * @param {ArrayBuffer|Uint8Array} image the whole image
 * @param {{format?: 'tar'|'friscy', config?: string|null}} [opts]
 * @returns the `friscy:emulator/rootfs` interface object for jco
 */
export function createRootfs(image, opts = {}) {
  const bytes = image instanceof Uint8Array ? image : new Uint8Array(image);
  const format = opts.format ?? detectFormat(bytes);
  if (format !== 'tar' && format !== 'friscy') throw new TypeError(`unknown image format ${format}`);
  const config = opts.config ?? undefined;
  const size = BigInt(bytes.length);
  // jco convention for `result<T, E>` imports: return T, throw {payload: E}.
  return {
    info() {
      return { size, format, config };
    },
    read(offset, len) {
      const off = BigInt(offset);
      if (off >= size) return new Uint8Array(0);
      const start = Number(off);
      const end = Math.min(bytes.length, start + Number(len));
      // A view, not a copy: jco copies it into the component's memory.
      return bytes.subarray(start, end);
    },
  };
}

/** A rootfs whose every call fails with `message` (e.g. the image could not be fetched). */
export function createFailingRootfs(message) {
  const fail = () => {
    throw { payload: String(message) };
  };
  return { info: fail, read: fail };
}
