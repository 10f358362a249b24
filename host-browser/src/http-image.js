// Open a rootfs image by URL for the browser Worker.
//
// A friscy image (index first, then chunked data) from a server that
// answers byte ranges is served on demand: the header and index arrive
// before the emulator starts, every other byte on first access through a
// synchronous range request (allowed in a Worker; the rootfs import must
// answer synchronously). A tar, or any image from a server without ranges,
// is downloaded whole, with progress.

import { createRangedRootfs, createRootfs, RANGE_BLOCK } from './rootfs.js';

/** Bytes asked for first: the header, the config and, for most images, the index. */
const HEAD_BYTES = 4 * RANGE_BLOCK;
/** friscy image header: "FRISCYIM", then index offset and length (u64 LE) at 32 and 40. */
const MAGIC = 'FRISCYIM';

const MiB = (n) => (n / 1048576).toFixed(1);

/**
 * @param {string} url
 * @param {{onStatus?: (text: string) => void, syncRange?: typeof syncRangeXhr}} [o]
 * @returns {Promise<object>} the rootfs interface object; ranged ones have stats()
 */
export async function openHttpImage(url, { onStatus = () => {}, syncRange = syncRangeXhr } = {}) {
  const res = await fetch(url, { headers: { Range: `bytes=0-${HEAD_BYTES - 1}` } });
  if (res.status === 200) return createRootfs(await readWhole(url, res, onStatus));
  if (res.status === 416) return createRootfs(new Uint8Array(0)); // an empty file
  if (res.status !== 206) throw new Error(`cannot fetch image ${url}: ${res.status} ${res.statusText}`);
  const size = totalOf(res.headers.get('content-range'));
  const head = new Uint8Array(await res.arrayBuffer());
  if (size === null) throw new Error(`image ${url}: the server's 206 answer has no usable Content-Range`);
  const tag = res.headers.get('etag');
  if (!isFriscy(head)) {
    // A tar is scanned whole at boot: one download beats a request per header.
    const all = await fetch(url);
    if (all.status !== 200) throw new Error(`cannot fetch image ${url}: ${all.status} ${all.statusText}`);
    return createRootfs(await readWhole(url, all, onStatus));
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const indexEnd = Number(view.getBigUint64(32, true) + view.getBigUint64(40, true));
  let prefix = head;
  if (indexEnd > head.length && indexEnd <= size) {
    onStatus(`loading image index ${MiB(indexEnd)} MiB`);
    const rest = await fetch(url, { headers: { Range: `bytes=${head.length}-${indexEnd - 1}` } });
    if (rest.status !== 206) throw new Error(`cannot fetch image ${url} (index): ${rest.status} ${rest.statusText}`);
    checkSame(url, size, tag, rest.headers.get('content-range'), rest.headers.get('etag'));
    prefix = new Uint8Array(indexEnd);
    prefix.set(head);
    prefix.set(new Uint8Array(await rest.arrayBuffer()).subarray(0, indexEnd - head.length), head.length);
  }
  return createRangedRootfs({
    size,
    format: 'friscy',
    prefix,
    readRange: (start, end) => syncRange(url, start, end, (range, etag) => checkSame(url, size, tag, range, etag)),
  });
}

function isFriscy(head) {
  if (head.length < 48) return false;
  for (let i = 0; i < MAGIC.length; i++) if (head[i] !== MAGIC.charCodeAt(i)) return false;
  return true;
}

/** The total size from `Content-Range: bytes a-b/TOTAL`, or null. */
function totalOf(contentRange) {
  const m = /\/(\d+)\s*$/.exec(contentRange ?? '');
  return m ? Number(m[1]) : null;
}

/** Every piece must come from the same file: a redeployed image mid-session is an error, not a mix. */
function checkSame(url, size, tag, contentRange, etag) {
  const total = totalOf(contentRange);
  if ((total !== null && total !== size) || (tag && etag && tag !== etag)) {
    throw new Error(`image ${url} changed on the server while running; reload the page`);
  }
}

/** Bytes [start, end) by a synchronous range request (Workers only). */
export function syncRangeXhr(url, start, end, check) {
  const xhr = new XMLHttpRequest();
  xhr.open('GET', url, false);
  xhr.responseType = 'arraybuffer';
  xhr.setRequestHeader('Range', `bytes=${start}-${end - 1}`);
  try {
    xhr.send();
  } catch (err) {
    throw new Error(`image ${url}: bytes ${start}-${end - 1}: ${err?.message ?? err}`);
  }
  if (xhr.status !== 206) {
    throw new Error(`image ${url}: bytes ${start}-${end - 1}: server answered ${xhr.status} ${xhr.statusText}`);
  }
  check(xhr.getResponseHeader('content-range'), xhr.getResponseHeader('etag'));
  return new Uint8Array(xhr.response);
}

/** The whole body of `res`, with progress every 4 MiB. */
async function readWhole(url, res, onStatus) {
  const total = Number(res.headers.get('content-length')) || 0;
  if (!res.body || !total) return new Uint8Array(await res.arrayBuffer());
  const bytes = new Uint8Array(total);
  const reader = res.body.getReader();
  let got = 0;
  let last = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (got + value.length > total) throw new Error(`image ${url} is longer than its Content-Length`);
    bytes.set(value, got);
    got += value.length;
    if (got - last > 4 << 20) {
      last = got;
      onStatus(`loading image ${MiB(got)}/${MiB(total)} MiB`);
    }
  }
  return got === total ? bytes : bytes.subarray(0, got);
}
