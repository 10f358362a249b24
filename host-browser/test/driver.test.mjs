// The session driver, the rootfs/terminal imports and the static server,
// without the emulator: a scripted fake `machine` stands in for it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { startMachine } from '../src/driver.js';
import { GuestExit, buildImports, requiredImports, missingImports } from '../src/imports.js';
import {
  createRangedRootfs, createRootfs, createFailingRootfs, detectFormat, RANGE_BLOCK, RANGE_MAX_FETCH,
} from '../src/rootfs.js';
import { createTerminalControl } from '../src/terminal.js';
import { startServer } from '../scripts/serve.mjs';

const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);

/** A fake machine that replays `steps`: each is a function (m) => run-status. */
function fakeMachine(steps) {
  return class FakeMachine {
    constructor(args, env) {
      this.args = args;
      this.env = env;
      this.out = [];
      this.input = [];
      this.closed = false;
      this.sizes = [];
      this.budgets = [];
      this.runs = 0;
      FakeMachine.last = this;
    }
    run(budget) {
      assert.equal(typeof budget, 'bigint', 'budget is a u64 (BigInt)');
      this.budgets.push(budget);
      const step = steps[Math.min(this.runs++, steps.length - 1)];
      return step(this);
    }
    pushInput(data) { this.input.push(dec(data)); }
    closeInput() { this.closed = true; }
    takeOutput() { const o = this.out; this.out = []; return o; }
    setWindowSize(rows, cols) { this.sizes.push([rows, cols]); }
  };
}
const out = (m, fd, s) => m.out.push({ fd, data: enc(s) });

describe('driver', () => {
  test('passes args/env, drains output after every run, resolves with the exit code', async () => {
    const M = fakeMachine([
      (m) => { out(m, 1, 'a'); return { tag: 'yielded' }; },
      (m) => { out(m, 2, 'b'); out(m, 1, 'c'); return { tag: 'yielded' }; },
      (m) => { out(m, 1, 'd'); return { tag: 'exited', val: 7 }; },
    ]);
    const seen = [];
    const h = startMachine(M, { args: ['/x', 'y'], env: [['K', 'V']], size: { rows: 30, cols: 100 },
      onOutput: (fd, data) => seen.push(`${fd}:${dec(data)}`) });
    assert.equal(await h.done, 7);
    assert.deepEqual(M.last.args, ['/x', 'y']);
    assert.deepEqual(M.last.env, [['K', 'V']]);
    assert.deepEqual(M.last.sizes, [[30, 100]]);
    assert.deepEqual(seen, ['1:a', '2:b', '1:c', '1:d']);
    assert.equal(h.stats.runCalls, 3);
  });

  test('waiting(timer) sleeps about that long', async () => {
    const M = fakeMachine([
      () => ({ tag: 'waiting', val: { tag: 'timer', val: 30_000_000n } }),
      () => ({ tag: 'exited', val: 0 }),
    ]);
    const t0 = performance.now();
    const h = startMachine(M);
    assert.equal(await h.done, 0);
    const ms = performance.now() - t0;
    assert.ok(ms >= 29, `slept ${ms} ms, want >= 30`);
    assert.ok(ms < 1000, `slept ${ms} ms, want about 30`);
  });

  test('waiting(input) waits for pushInput, which wakes the machine at once', async () => {
    const M = fakeMachine([
      (m) => (m.input.length ? { tag: 'exited', val: m.input.join('').length } : { tag: 'waiting', val: { tag: 'input' } }),
    ]);
    const h = startMachine(M);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(h.stats.waitsInput, 1, 'it waits (no busy loop) while there is no input');
    assert.equal(h.stats.runCalls, 1);
    h.pushInput('hello');
    assert.equal(await h.done, 5);
  });

  test('input also cuts a timer wait short; closeInput and resize wake it too', async () => {
    const M = fakeMachine([
      () => ({ tag: 'waiting', val: { tag: 'timer', val: 60_000_000_000n } }),
      (m) => { assert.deepEqual(m.input, ['x']); return { tag: 'waiting', val: { tag: 'input' } }; },
      (m) => { assert.ok(m.closed); return { tag: 'waiting', val: { tag: 'input' } }; },
      (m) => { assert.deepEqual(m.sizes, [[10, 20]]); return { tag: 'exited', val: 3 }; },
    ]);
    const h = startMachine(M);
    const t0 = performance.now();
    setTimeout(() => h.pushInput('x'), 10);
    setTimeout(() => h.closeInput(), 30);
    setTimeout(() => h.resize(10, 20), 50);
    assert.equal(await h.done, 3);
    assert.ok(performance.now() - t0 < 5000, 'the 60 s timer did not run out');
  });

  test('yields to the event loop while the guest keeps running', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const M = fakeMachine([
      (m) => {
        const end = performance.now() + 2; // 2 ms of "guest work" per call
        while (performance.now() < end);
        return m.runs > 60 ? { tag: 'exited', val: 0 } : { tag: 'yielded' };
      },
    ]);
    const h = startMachine(M, { sliceMs: 10 });
    assert.equal(await h.done, 0);
    clearInterval(timer);
    assert.ok(h.stats.yields >= 5, `yielded ${h.stats.yields} times in ~120 ms`);
    assert.ok(ticks >= 3, `timers ran ${ticks} times while the guest ran`);
  });

  test('the budget adapts to the time one run takes', async () => {
    const M = fakeMachine([(m) => (m.runs > 12 ? { tag: 'exited', val: 0 } : { tag: 'yielded' })]);
    const h = startMachine(M, { budget: 1000 });
    await h.done;
    const b = M.last.budgets;
    assert.equal(b[0], 1000n);
    assert.ok(b[b.length - 1] > b[0], `fast runs raise the budget: ${b.join(' ')}`);
  });

  test('wasi:cli/exit inside run ends with that status; a trap rejects', async () => {
    const E = fakeMachine([() => { throw new GuestExit(42); }]);
    assert.equal(await startMachine(E).done, 42);
    const T = fakeMachine([(m) => { out(m, 2, 'panicked'); throw new WebAssembly.RuntimeError('unreachable'); }]);
    const seen = [];
    await assert.rejects(startMachine(T, { onOutput: (fd, d) => seen.push(dec(d)) }).done, /unreachable/);
    assert.deepEqual(seen, ['panicked'], 'output before the trap is still delivered');
  });

  test('a trap in the constructor rejects done', async () => {
    class Bad { constructor() { throw new WebAssembly.RuntimeError('boom'); } }
    await assert.rejects(startMachine(Bad).done, /boom/);
  });

  test('stop() ends a waiting machine with null', async () => {
    const M = fakeMachine([() => ({ tag: 'waiting', val: { tag: 'input' } })]);
    const h = startMachine(M);
    setTimeout(() => h.stop(), 10);
    assert.equal(await h.done, null);
  });
});

describe('rootfs import', () => {
  const image = new Uint8Array(1024);
  image.set(enc('ustar'), 257);
  image[0] = 0x61;
  image[1023] = 0x7f;

  test('info reports size and format; read serves slices and short reads at the end', () => {
    const r = createRootfs(image.buffer);
    const info = r.info();
    assert.equal(info.size, 1024n);
    assert.equal(info.format, 'tar');
    assert.equal(info.config, undefined);
    assert.deepEqual([...r.read(0n, 2)], [0x61, 0]);
    assert.deepEqual([...r.read(1022n, 100)], [0, 0x7f], 'short read at the end');
    assert.equal(r.read(1024n, 10).length, 0, 'empty read at the end');
    assert.equal(r.read(5000n, 10).length, 0, 'empty read past the end');
    assert.equal(r.read(10n, 0).length, 0);
  });

  test('format detection and an explicit format/config', () => {
    assert.equal(detectFormat(image), 'tar');
    assert.equal(detectFormat(new Uint8Array(1024)), 'tar', 'an empty tar is all zeros');
    assert.equal(detectFormat(enc('FRISCYIMG and more bytes')), 'friscy');
    const r = createRootfs(enc('x'), { format: 'friscy', config: '{"config":{}}' });
    assert.deepEqual(r.info(), { size: 1n, format: 'friscy', config: '{"config":{}}' });
  });

  test('a failing rootfs throws the {payload} jco turns into result::err', () => {
    const r = createFailingRootfs('no such image');
    assert.throws(() => r.info(), (e) => e.payload === 'no such image');
    assert.throws(() => r.read(0n, 1), (e) => e.payload === 'no such image');
  });
});

describe('ranged rootfs (bytes on first access)', () => {
  // A deterministic pseudo-random image whose size is not a block multiple.
  const size = 3 * 1024 * 1024 + 12345;
  const image = new Uint8Array(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    image[i] = x & 0xff;
  }
  const ranged = (opts = {}) => {
    const calls = [];
    const r = createRangedRootfs({
      size,
      format: 'friscy',
      readRange: (start, end) => {
        calls.push([start, end]);
        assert.ok(start >= 0 && end <= size && start < end, `range ${start}-${end}`);
        return image.slice(start, end);
      },
      ...opts,
    });
    return { r, calls };
  };

  test('any read returns the image bytes; no byte is fetched twice', () => {
    const { r, calls } = ranged();
    let seed = 7;
    const rand = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let k = 0; k < 500; k++) {
      const off = rand(size + 1000);
      const len = [0, 1, 100, RANGE_BLOCK - 1, RANGE_BLOCK, 3 * RANGE_BLOCK + 17, 1 << 20][rand(7)];
      const got = r.read(BigInt(off), len);
      const want = image.subarray(Math.min(off, size), Math.min(size, off + len));
      assert.equal(got.length, want.length, `read(${off}, ${len})`);
      assert.ok(Buffer.from(got).equals(Buffer.from(want)), `bytes of read(${off}, ${len})`);
    }
    const seen = new Set();
    for (const [start, end] of calls) {
      assert.equal(start % RANGE_BLOCK, 0, 'fetches start on a block');
      assert.ok(end % RANGE_BLOCK === 0 || end === size, 'fetches end on a block or the end');
      for (let b = start / RANGE_BLOCK; b < end / RANGE_BLOCK; b++) {
        assert.ok(!seen.has(b), `block ${b} fetched twice`);
        seen.add(b);
      }
    }
    assert.equal(r.stats().requests, calls.length);
    assert.ok(r.stats().fetched <= size);
  });

  test('sequential reads grow the fetch; a random read fetches one block', () => {
    const { r, calls } = ranged();
    for (let off = 0; off < 2 * 1024 * 1024; off += RANGE_BLOCK) r.read(BigInt(off), RANGE_BLOCK);
    // 1 + 2 + 4 + 8 + 16 blocks cover the 32 blocks of 2 MiB in 5 or 6 requests.
    assert.ok(calls.length <= 6, `${calls.length} requests for a sequential 2 MiB`);
    assert.ok(calls.every(([s, e]) => e - s <= RANGE_MAX_FETCH));
    const fresh = ranged();
    fresh.r.read(BigInt(size - 10), 10);
    fresh.r.read(BigInt(RANGE_BLOCK + 5), 10);
    assert.deepEqual(fresh.calls, [
      [Math.floor((size - 10) / RANGE_BLOCK) * RANGE_BLOCK, size],
      [RANGE_BLOCK, 2 * RANGE_BLOCK],
    ]);
  });

  test('the prefix (header and index) is served without a request', () => {
    const { r, calls } = ranged({ prefix: image.slice(0, 2 * RANGE_BLOCK + 5) });
    assert.ok(Buffer.from(r.read(0n, 2 * RANGE_BLOCK)).equals(Buffer.from(image.subarray(0, 2 * RANGE_BLOCK))));
    assert.equal(calls.length, 0);
    // The partial third block of the prefix is not trusted as a whole block.
    r.read(BigInt(2 * RANGE_BLOCK), 1);
    assert.equal(calls.length, 1);
    assert.deepEqual(r.info(), { size: BigInt(size), format: 'friscy', config: undefined });
  });

  test('a failed or short fetch is a {payload} error naming the bytes, and can be retried', () => {
    let fail = 'network down';
    const r = createRangedRootfs({
      size,
      format: 'friscy',
      readRange: (start, end) => {
        if (fail === 'short') return image.slice(start, end - 1);
        if (fail) throw new Error(fail);
        return image.slice(start, end);
      },
    });
    assert.throws(() => r.read(100n, 10), (e) => e.payload === 'network down');
    fail = 'short';
    assert.throws(() => r.read(100n, 10), (e) => /asked for bytes 0-65535 of the image, got 65535 bytes/.test(e.payload));
    fail = null;
    assert.deepEqual([...r.read(100n, 3)], [...image.subarray(100, 103)]);
  });
});

describe('terminal-control import', () => {
  test('window size comes from the callback; the host never echoes', () => {
    let size = { rows: 24, cols: 80 };
    const t = createTerminalControl(() => size);
    assert.deepEqual(t.windowSize(), [24, 80]);
    size = { rows: 50, cols: 200 };
    assert.deepEqual(t.windowSize(), [50, 200]);
    assert.equal(t.hostEchoes(), false);
    assert.equal(createTerminalControl().windowSize(), undefined, 'no terminal: option::none');
  });
});

describe('imports', () => {
  test('shim interfaces are keyed by WIT name; exit and friscy:* are ours', () => {
    const shim = { cli: { exit: { exit() {} }, terminalStdin: { getTerminalStdin() {} } }, io: { streams: { InputStream: class {} } } };
    const friscy = { rootfs: {}, terminalControl: {} };
    const imports = buildImports(shim, friscy);
    assert.ok(imports['wasi:cli/terminal-stdin']);
    assert.ok(imports['wasi:io/streams'].InputStream);
    assert.notEqual(imports['wasi:cli/exit'], shim.cli.exit);
    assert.throws(() => imports['wasi:cli/exit'].exitWithCode(3), (e) => e instanceof GuestExit && e.code === 3);
    assert.equal(imports['friscy:emulator/rootfs'], friscy.rootfs);
    const need = requiredImports("const { a, b: c } = imports['wasi:x/y'];\nconst { d } = imports['wasi:io/streams'];");
    assert.deepEqual([...need], [['wasi:x/y', ['a', 'b']], ['wasi:io/streams', ['d']]]);
    assert.deepEqual(missingImports(need, imports), ['wasi:x/y#a', 'wasi:x/y#b', 'wasi:io/streams#d']);
  });
});

describe('static server', () => {
  test('types, HEAD, byte ranges, extra files, no traversal, no COOP/COEP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'friscy-serve-'));
    writeFileSync(path.join(dir, 'index.html'), '<p>hi</p>');
    writeFileSync(path.join(dir, 'a.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    const extra = path.join(dir, 'img.bin');
    writeFileSync(extra, Buffer.from('0123456789'));
    const s = await startServer({ root: dir, files: { '/rootfs.tar': extra } });
    try {
      let r = await fetch(s.url);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /^text\/html/);
      assert.equal(r.headers.get('cross-origin-opener-policy'), null);
      assert.equal(r.headers.get('cross-origin-embedder-policy'), null);
      r = await fetch(new URL('a.wasm', s.url));
      assert.equal(r.headers.get('content-type'), 'application/wasm');
      r = await fetch(new URL('rootfs.tar', s.url), { headers: { range: 'bytes=2-4' } });
      assert.equal(r.status, 206);
      assert.equal(r.headers.get('content-range'), 'bytes 2-4/10');
      assert.equal(await r.text(), '234');
      r = await fetch(new URL('rootfs.tar', s.url), { headers: { range: 'bytes=-3' } });
      assert.equal(await r.text(), '789');
      r = await fetch(new URL('rootfs.tar', s.url), { headers: { range: 'bytes=20-' } });
      assert.equal(r.status, 416);
      r = await fetch(new URL('rootfs.tar', s.url), { method: 'HEAD' });
      assert.equal(r.headers.get('content-length'), '10');
      r = await fetch(new URL('/%2e%2e/%2e%2e/etc/passwd', s.url));
      assert.ok(r.status === 403 || r.status === 404, `traversal refused (${r.status})`);
      r = await fetch(new URL('nope', s.url));
      assert.equal(r.status, 404);
    } finally {
      await s.close();
    }
  });
});
