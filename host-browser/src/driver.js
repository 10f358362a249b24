// The session driver: runs a `friscy:emulator/session` machine step by step
// on the JS event loop. Works in a Worker, a page and Node alike.
//
// `run(budget)` never blocks; it returns
//   exited(code)          -> the driver resolves with the code
//   yielded               -> call `run` again (after letting the event loop
//                            breathe now and then, so input can arrive)
//   waiting(input)        -> wait for push-input / close-input / a resize
//   waiting(timer(ns))    -> wait that long, or less if input arrives
// and `take-output` is drained after every call.
//
// No SharedArrayBuffer, no Atomics.wait, no JSPI: the page works on any static
// host without COOP/COEP headers.

import { GuestExit, buildImports } from './imports.js';

/** JSON with BigInts, for error messages. */
const show = (v) => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x));

/** Largest setTimeout delay (about 24.8 days). */
const MAX_TIMEOUT_MS = 0x7fffffff;

const now = typeof performance !== 'undefined' && performance.now
  ? () => performance.now()
  : () => Date.now();

/**
 * Resolve on a fresh macrotask without the 4 ms clamp of nested
 * setTimeout(0): setImmediate in Node, a MessageChannel ping elsewhere.
 */
export const yieldToEventLoop = (() => {
  if (typeof setImmediate === 'function') {
    return () => new Promise((resolve) => setImmediate(resolve));
  }
  if (typeof MessageChannel === 'function') {
    const channel = new MessageChannel();
    const queue = [];
    channel.port1.onmessage = () => queue.shift()?.();
    return () => new Promise((resolve) => {
      queue.push(resolve);
      channel.port2.postMessage(0);
    });
  }
  return () => new Promise((resolve) => setTimeout(resolve, 0));
})();

/**
 * Instantiate the transpiled emulator (jco `--instantiation async` output).
 *
 * @param {object} o
 * @param {(getCoreModule: Function, imports: object) => Promise<object>} o.instantiate
 *   the `instantiate` export of the transpiled `emulator.js`
 * @param {(name: string) => Promise<WebAssembly.Module>} o.getCoreModule
 *   compiles `emulator.core*.wasm` by file name
 * @param {object} o.shim the preview2-shim namespace (browser or Node build)
 * @param {object} o.rootfs from rootfs.js
 * @param {object} o.terminalControl from terminal.js
 * @param {Record<string,string>} [o.environment] what `wasi:cli/environment`
 *   reports to the emulator itself (not the guest); empty by default, so a
 *   Node test does not leak its process environment into the component
 * @param {(imports: object) => object} [o.wrapImports] last look at the
 *   import object (tests instrument it)
 * @returns {Promise<{Machine: Function, exports: object}>}
 */
export async function loadEmulator({ instantiate, getCoreModule, shim, rootfs, terminalControl, environment = {}, wrapImports }) {
  let imports = buildImports(shim, { rootfs, terminalControl });
  const env = Object.entries(environment);
  imports['wasi:cli/environment'] = {
    getEnvironment: () => env.map(([k, v]) => [k, v]),
    getArguments: () => [],
    initialCwd: () => undefined,
  };
  if (wrapImports) imports = wrapImports(imports);
  const exports = await instantiate(getCoreModule, imports);
  const session = exports.session ?? exports['friscy:emulator/session@0.1.0'] ?? exports['friscy:emulator/session'];
  if (!session || typeof session.Machine !== 'function') {
    throw new Error('the emulator component does not export friscy:emulator/session (no Machine resource)');
  }
  return { Machine: session.Machine, exports };
}

/**
 * Start a machine and drive it until the guest exits.
 *
 * @param {Function} Machine the session's `machine` resource class
 * @param {object} o
 * @param {string[]} o.args argv (argv[0] is the program path in the image;
 *   empty for the image's entrypoint)
 * @param {Array<[string,string]>} [o.env] added to the image's environment
 * @param {(fd: number, data: Uint8Array) => void} [o.onOutput] guest output
 * @param {{rows:number, cols:number}} [o.size] sent with set-window-size right
 *   after boot (hosts whose terminal-control import already reports the
 *   size leave this out: a resize signals SIGWINCH)
 * @param {bigint|number} [o.budget] first instruction budget per `run` call;
 *   it then adapts so that one call takes about `o.runMs`
 * @param {number} [o.runMs] target duration of one `run` call (ms)
 * @param {number} [o.sliceMs] run at most this long before yielding to the
 *   event loop (ms)
 * @returns {{done: Promise<number|null>, pushInput(data: Uint8Array|string): void,
 *   closeInput(): void, resize(rows: number, cols: number): void, stop(): void,
 *   stats: object}}
 *   `done` resolves with the exit status, or null after stop(); it rejects
 *   if the emulator traps.
 */
export function startMachine(Machine, o = {}) {
  const args = o.args ?? [];
  const env = o.env ?? [];
  const onOutput = o.onOutput ?? (() => {});
  const runMs = o.runMs ?? 4;
  const sliceMs = o.sliceMs ?? 16;
  const minBudget = 1000n;
  const maxBudget = 1n << 32n;
  let budget = BigInt(o.budget ?? 1_000_000);
  if (budget < minBudget) budget = minBudget;

  const stats = { runCalls: 0, yields: 0, waitsInput: 0, waitsTimer: 0, outputBytes: 0 };
  let stopped = false;
  let exited = false;
  let wake = null; // resolve function of the current wait, if any
  const encoder = new TextEncoder();

  const signal = () => {
    const w = wake;
    wake = null;
    w?.();
  };

  // The constructor boots the image; it runs synchronously here so that
  // pushInput/resize always have a machine to talk to.
  let machine;
  try {
    machine = new Machine(args, env);
    if (o.size) machine.setWindowSize(o.size.rows, o.size.cols);
  } catch (err) {
    const done = err instanceof GuestExit ? Promise.resolve(err.code) : Promise.reject(err);
    const nop = () => {};
    return { done, stats, pushInput: nop, closeInput: nop, resize: nop, stop: nop };
  }

  const drain = () => {
    const chunks = machine.takeOutput();
    for (const { fd, data } of chunks) {
      if (data.length === 0) continue;
      stats.outputBytes += data.length;
      onOutput(fd, data);
    }
  };

  const waitFor = (ms) => new Promise((resolve) => {
    let timer = null;
    const done = () => {
      if (timer !== null) clearTimeout(timer);
      if (wake === done) wake = null;
      resolve();
    };
    wake = done;
    if (ms !== Infinity) timer = setTimeout(done, Math.min(ms, MAX_TIMEOUT_MS));
  });

  const loop = async () => {
    let sliceStart = now();
    for (;;) {
      if (stopped) return null;
      let status;
      const t0 = now();
      try {
        stats.runCalls++;
        status = machine.run(budget);
      } catch (err) {
        try { drain(); } catch { /* the instance is dead */ }
        if (err instanceof GuestExit) return err.code;
        throw err;
      }
      const took = now() - t0;
      drain();
      switch (status.tag) {
        case 'exited':
          return status.val;
        case 'yielded': {
          // Adapt the budget so one call takes about runMs.
          if (took < runMs / 2 && budget < maxBudget) budget *= 2n;
          else if (took > runMs * 2 && budget > minBudget) budget /= 2n;
          if (now() - sliceStart >= sliceMs) {
            stats.yields++;
            await yieldToEventLoop();
            sliceStart = now();
          }
          break;
        }
        case 'waiting': {
          const why = status.val;
          if (why.tag === 'input') {
            stats.waitsInput++;
            await waitFor(Infinity);
          } else if (why.tag === 'timer') {
            stats.waitsTimer++;
            const ns = BigInt(why.val);
            if (ns === 0n) await yieldToEventLoop();
            else await waitFor(Math.ceil(Number(ns) / 1e6));
          } else {
            throw new Error(`unknown wait reason ${show(why)}`);
          }
          sliceStart = now();
          break;
        }
        default:
          throw new Error(`unknown run-status ${show(status)}`);
      }
    }
  };

  const done = loop().finally(() => {
    exited = true;
    wake = null;
    // Free the guest's memory now rather than whenever the GC gets to it.
    try {
      machine[Symbol.dispose ?? Symbol.for('dispose')]?.();
    } catch { /* already gone with a trapped instance */ }
  });

  return {
    done,
    stats,
    pushInput(data) {
      if (exited || stopped) return;
      const bytes = typeof data === 'string' ? encoder.encode(data) : data;
      if (bytes.length === 0) return;
      machine.pushInput(bytes);
      signal();
    },
    closeInput() {
      if (exited || stopped) return;
      machine.closeInput();
      signal();
    },
    resize(rows, cols) {
      if (exited || stopped) return;
      machine.setWindowSize(rows, cols);
      signal();
    },
    stop() {
      stopped = true;
      signal();
    },
  };
}
