#!/usr/bin/env node
import { runCli } from './run-cli';

const controller = new AbortController();
let interrupts = 0;
process.on('SIGINT', () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  process.stderr.write('\ninterrupted: stopping after the current step (Ctrl-C again to quit now)\n');
  controller.abort();
});
// `diffrestore info x | head` closes stdout early: not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() },
  { signal: controller.signal },
).then((code) => {
  process.exitCode = code;
});
