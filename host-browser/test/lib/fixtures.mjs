// Shared by the tests: the fixture manifest written by the Rust test crate
// (`build/fixtures/manifest.json`), the oracle (qemu-riscv64 under proot,
// exactly as tests/src/harness.rs runs it) and a Node runner for the
// transpiled emulator.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { loadNodeEmulator, packageDir } from '../../src/node-host.js';
import { startMachine } from '../../src/driver.js';

export const repoDir = path.resolve(packageDir, '..');
export const fixturesDir = path.resolve(process.env.FRISCY_FIXTURES || path.join(repoDir, 'build', 'fixtures'));
export const distDir = path.join(packageDir, 'dist');
export const genDir = path.join(packageDir, 'gen');

/** Seconds one guest run may take before the test fails. */
export const RUN_TIMEOUT_MS = Number(process.env.FRISCY_TEST_TIMEOUT || 120) * 1000;

function need(file, hint) {
  if (!existsSync(file)) throw new Error(`${file} is missing: ${hint}`);
  return file;
}

/** The manifest, with paths made absolute and stdin/expected files readable. */
export function loadManifest() {
  const file = need(path.join(fixturesDir, 'manifest.json'),
    'build the fixtures first (`just build` / `cargo run -p friscy-tests --bin build-fixtures`)');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  // Paths in the manifest are relative to the workspace root.
  const abs = (p) => (p == null ? p : path.resolve(repoDir, p));
  return {
    ...m,
    rootfsTar: need(abs(m.rootfs_tar), 'the fixture rootfs.tar is missing'),
    rootfsDir: need(abs(m.rootfs_dir), 'the extracted fixture rootfs is missing'),
    badInputs: m.bad_inputs,
    abs,
    cases: m.cases.map((c) => ({
      ...c,
      stdinBytes: c.stdin ? readFileSync(abs(c.stdin)) : Buffer.alloc(0),
    })),
  };
}

/**
 * The oracle: `proot -r ROOTFS -b /dev -b /proc -q qemu-riscv64 -w / ARGV`
 * with the environment cleared but PATH and the case's variables, stdin from
 * the given bytes (or /dev/null when empty), run from the workspace root.
 */
export function runOracle(rootfsDir, argv, env = [], stdin = Buffer.alloc(0)) {
  const r = spawnSync('proot', ['-r', rootfsDir, '-b', '/dev', '-b', '/proc', '-q', 'qemu-riscv64', '-w', '/', ...argv], {
    cwd: repoDir,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...Object.fromEntries(env) },
    input: stdin.length ? stdin : undefined,
    stdio: [stdin.length ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    maxBuffer: 256 << 20,
    timeout: RUN_TIMEOUT_MS,
  });
  if (r.error) throw new Error(`cannot run the oracle (install proot and qemu-user): ${r.error.message}`);
  const stderr = r.stderr;
  const text = stderr.toString('utf8');
  if (/proot error|proot warning|qemu: /.test(text)) {
    throw new Error(`the oracle itself reported a problem running ${argv.join(' ')}:\n${text}`);
  }
  const status = r.status ?? 128 + (osSignal(r.signal) ?? 0);
  return { status, stdout: r.stdout, stderr };
}

function osSignal(name) {
  const table = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return table[name];
}

/**
 * Run the transpiled emulator in Node (Node preview2-shim, no terminal, so
 * output bytes are what a pipe gets) through the session driver.
 * @returns {Promise<{status: number, stdout: Buffer, stderr: Buffer, stats: object, ms: number}>}
 */
export async function runNode({ imagePath, argv, env = [], stdin = Buffer.alloc(0) }) {
  const t0 = performance.now();
  const { Machine } = await loadNodeEmulator({ genDir, imagePath });
  const out = { 1: [], 2: [] };
  const h = startMachine(Machine, {
    args: argv,
    env,
    onOutput: (fd, data) => (out[fd] ?? (out[fd] = [])).push(Buffer.from(data)),
  });
  if (stdin.length) h.pushInput(new Uint8Array(stdin));
  h.closeInput();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      h.stop();
      reject(new Error(`${argv.join(' ')}: no exit after ${RUN_TIMEOUT_MS / 1000} s (stats ${JSON.stringify(h.stats)}; ` +
        `output so far: ${JSON.stringify(Buffer.concat([...out[1], ...out[2]]).toString('utf8').slice(-500))})`));
    }, RUN_TIMEOUT_MS);
  });
  try {
    const status = await Promise.race([h.done, timeout]);
    return { status, stdout: Buffer.concat(out[1]), stderr: Buffer.concat(out[2]), stats: h.stats, ms: performance.now() - t0 };
  } finally {
    clearTimeout(timer);
  }
}

/** Lines of a stream of output, without the final empty one; \r\n counts as \n. */
export function outputLines(buf) {
  const text = Buffer.isBuffer(buf) ? buf.toString('utf8') : String(buf);
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
