// `friscy:emulator/rootfs` for jco: `read` answers synchronously, as the
// import must (the emulator never waits inside an import).
//
// createRootfs serves an image held whole in memory (a tar, or a friscy
// image from a server without byte ranges). createRangedRootfs serves one
// whose bytes arrive on first access (a friscy image over HTTP range
// requests, a file read with readSync): the emulator reads the index at
// start and each file's chunks when the guest first touches them.

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

/** Bytes per cached block of a ranged image (the emulator's own read granularity). */
export const RANGE_BLOCK = 64 * 1024;
/** The largest single fetch sequential reads grow to. */
export const RANGE_MAX_FETCH = 4 * 1024 * 1024;

/**
 * A rootfs over `readRange(start, end)`, a synchronous reader of bytes
 * [start, end) that returns exactly that many bytes or throws. Fetched blocks
 * are kept (what the guest touched, not the image); a read that continues
 * where the previous fetch ended doubles the fetch (read-ahead, up to
 * RANGE_MAX_FETCH) so a big file costs a few requests, not one per block.
 *
 * @param {{size: number, format: 'tar'|'friscy', config?: string|null,
 *   readRange: (start: number, end: number) => Uint8Array,
 *   prefix?: Uint8Array}} o  prefix: bytes from offset 0 already at hand
 * @returns the interface object, plus stats() -> {size, fetched, requests}
 */
export function createRangedRootfs({ size, format, config, readRange, prefix }) {
  if (format !== 'tar' && format !== 'friscy') throw new TypeError(`unknown image format ${format}`);
  const blocks = new Map();
  const stats = { size, fetched: 0, requests: 0 };
  const blockCount = Math.ceil(size / RANGE_BLOCK);
  const blockEnd = (i) => Math.min(size, (i + 1) * RANGE_BLOCK);
  // Only whole blocks (or the image's last, short one) are cached.
  const keep = (first, bytes) => {
    for (let i = first, at = 0; at < bytes.length; i++) {
      const len = blockEnd(i) - i * RANGE_BLOCK;
      if (at + len > bytes.length) break;
      blocks.set(i, bytes.subarray(at, at + len));
      at += len;
    }
  };
  if (prefix?.length) keep(0, prefix.subarray(0, Math.min(prefix.length, size)));
  let nextSequential = -1;
  let window = 1;
  const fetchFrom = (first, last) => {
    // Read-ahead past `last` while reads stay sequential, up to a cached block.
    window = first === nextSequential ? Math.min(window * 2, RANGE_MAX_FETCH / RANGE_BLOCK) : 1;
    let end = Math.max(last + 1, first + window);
    end = Math.min(end, blockCount);
    for (let i = last + 1; i < end; i++) {
      if (blocks.has(i)) {
        end = i;
        break;
      }
    }
    const start = first * RANGE_BLOCK;
    const stop = blockEnd(end - 1);
    const bytes = readRange(start, stop);
    if (bytes.length !== stop - start) {
      throw new Error(`asked for bytes ${start}-${stop - 1} of the image, got ${bytes.length} bytes`);
    }
    stats.requests++;
    stats.fetched += bytes.length;
    keep(first, bytes);
    nextSequential = end;
  };
  const info = () => ({ size: BigInt(size), format, config: config ?? undefined });
  return {
    info,
    read(offset, len) {
      const start = Number(offset);
      if (start >= size) return new Uint8Array(0);
      const end = Math.min(size, start + Number(len));
      if (end <= start) return new Uint8Array(0);
      const first = Math.floor(start / RANGE_BLOCK);
      const last = Math.floor((end - 1) / RANGE_BLOCK);
      try {
        for (let i = first; i <= last; i++) {
          if (blocks.has(i)) continue;
          let j = i;
          while (j < last && !blocks.has(j + 1)) j++;
          fetchFrom(i, j);
        }
      } catch (err) {
        throw { payload: String(err?.message ?? err) };
      }
      if (first === last) {
        const b = blocks.get(first);
        return b.subarray(start - first * RANGE_BLOCK, end - first * RANGE_BLOCK);
      }
      const out = new Uint8Array(end - start);
      for (let i = first; i <= last; i++) {
        const b = blocks.get(i);
        const from = Math.max(start, i * RANGE_BLOCK);
        const to = Math.min(end, blockEnd(i));
        out.set(b.subarray(from - i * RANGE_BLOCK, to - i * RANGE_BLOCK), from - start);
      }
      return out;
    },
    stats: () => ({ ...stats }),
  };
}

/** A rootfs whose every call fails with `message` (e.g. the image could not be fetched). */
export function createFailingRootfs(message) {
  const fail = () => {
    throw { payload: String(message) };
  };
  return { info: fail, read: fail };
}
