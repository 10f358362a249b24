#!/usr/bin/env node
// Run the transpiled emulator in Node through the same session driver the
// browser uses (for debugging the browser path without a browser):
//
//   node scripts/run.mjs IMAGE [-e K=V]... [--stats] [-- CMD ARGS...]
//
// Guest stdout/stderr go to ours, our stdin goes to the guest (EOF closes its
// input), and the exit status is the guest's. Needs `npm run build` first.

import { loadNodeEmulator } from '../src/node-host.js';
import { startMachine } from '../src/driver.js';

const argv = process.argv.slice(2);
const env = [];
let image = null;
let stats = false;
let cmd = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--') { cmd = argv.slice(i + 1); break; }
  if (a === '-e' || a === '--env') {
    const kv = argv[++i] ?? '';
    const eq = kv.indexOf('=');
    env.push(eq < 0 ? [kv, process.env[kv] ?? ''] : [kv.slice(0, eq), kv.slice(eq + 1)]);
  } else if (a === '--stats') stats = true;
  else if (!image && !a.startsWith('-')) image = a;
  else {
    console.error('usage: run.mjs IMAGE [-e K=V]... [--stats] [-- CMD ARGS...]');
    process.exit(2);
  }
}
if (!image) {
  console.error('usage: run.mjs IMAGE [-e K=V]... [--stats] [-- CMD ARGS...]');
  process.exit(2);
}

const t0 = performance.now();
const { Machine } = await loadNodeEmulator({ imagePath: image });
const t1 = performance.now();
const h = startMachine(Machine, {
  args: cmd,
  env,
  onOutput: (fd, data) => (fd === 2 ? process.stderr : process.stdout).write(data),
});
process.stdin.on('data', (d) => h.pushInput(new Uint8Array(d)));
process.stdin.on('end', () => h.closeInput());
process.stdin.on('error', () => h.closeInput());
let code;
try {
  code = await h.done;
} catch (err) {
  console.error(`run.mjs: emulator trapped: ${err?.stack ?? err}`);
  code = 134;
}
if (stats) {
  const t2 = performance.now();
  console.error(`run.mjs: load ${(t1 - t0).toFixed(0)} ms, run ${(t2 - t1).toFixed(0)} ms, ${JSON.stringify(h.stats)}`);
}
process.stdin.destroy();
process.exitCode = code ?? 1;
