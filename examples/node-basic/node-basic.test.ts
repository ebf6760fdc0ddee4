import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readImage } from '@diffrestore/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The example as a user runs it: `node examples/node-basic/restore.mjs` against the built
// packages (npm run build), on the default bundle (@diffrestore/model-tiny) with tiny settings.
const ROOT = path.resolve(__dirname, '../..');
const PROGRAM = path.join(__dirname, 'restore.mjs');
const INPUT = path.join(ROOT, 'examples/images/sample-degraded.png');
const FAST = ['--steps', '2', '--min-short-side', '64'];

function run(args: string[]) {
  const r = spawnSync(process.execPath, [PROGRAM, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function ms(stdout: string, label: string): number {
  const m = new RegExp(`^\\s+${label}\\s+([\\d.]+) ms`, 'm').exec(stdout);
  if (!m) throw new Error(`no '${label}' line in:\n${stdout}`);
  return Number(m[1]);
}

describe('examples/node-basic', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'example-basic-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('restores the sample x4 to a file, printing progress and timings', async () => {
    const out = path.join(dir, 'nested/restored.png');
    const r = run([INPUT, out, '--upscale', '4', ...FAST]);
    expect(r.code, r.stderr).toBe(0);
    const img = await readImage(out);
    expect([img.width, img.height]).toEqual([256, 256]);
    expect(r.stderr).toMatch(/step 1\/2/);
    expect(r.stderr).toMatch(/step 2\/2/);
    for (const stage of ['prepare', 'clean', 'encode', 'sample', 'decode', 'finish']) {
      expect(r.stderr).toContain(`stage ${stage}`);
    }
    // Stage wall times add up to the total, and runtime + overhead is the total (0.1 ms rounding).
    const stages = ['prepare', 'clean', 'encode', 'sample', 'decode', 'finish'].map((s) => ms(r.stdout, s));
    const total = ms(r.stdout, 'total');
    expect(Math.abs(stages.reduce((a, b) => a + b) - total)).toBeLessThan(0.5);
    expect(Math.abs(ms(r.stdout, 'runtime') + ms(r.stdout, 'overhead') - total)).toBeLessThan(0.2);
    // 2 steps x 1 denoiser run (the default bundle's CFG scale is 1) + cleaner + VAE encoder + decoder = 5.
    expect(r.stdout).toMatch(/in 5 ONNX runs/);
  });

  it('refuses to overwrite an existing output', () => {
    const out = path.join(dir, 'twice.png');
    expect(run([INPUT, out, ...FAST]).code).toBe(0);
    const again = run([INPUT, out, ...FAST]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/exist/);
  });

  it('stops on Ctrl-C (SIGINT) with exit code 130 and writes nothing', async () => {
    const sub = path.join(dir, 'aborted');
    const out = path.join(sub, 'never.png');
    const child: ChildProcess = spawn(
      process.execPath,
      [PROGRAM, INPUT, out, '--steps', '500', '--min-short-side', '64'],
      {
        cwd: ROOT,
      },
    );
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (/step 2\/500/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/aborted; nothing was written/);
    // Stopped long before the last step, and no file (not even a temporary one) is left.
    expect(stderr).not.toMatch(/step 500\/500/);
    expect(await readdir(sub)).toEqual([]);
  });
});
