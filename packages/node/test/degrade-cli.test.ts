import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run-cli';
import { fnv1a32, pairStream } from '../src/degrade/pair-stream';
import { memoryIo, runCliProcess } from './helpers';

const tmp = mkdtempSync(path.join(tmpdir(), 'diffrestore-degrade-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Source sizes (width x height); c is smaller than the crop used below. */
const SOURCES = { 'a.png': [80, 96], 'b.png': [64, 64], 'c.png': [24, 30] } as const;

/** A deterministic RGB test picture: gradients, a disc and a fine texture (so crops differ). */
function picture(width: number, height: number, phase: number): Buffer {
  const px = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - width / 2) ** 2 + (y - height / 3) ** 2 < (width / 4) ** 2 ? 60 : 0;
      const o = (y * width + x) * 3;
      px[o] = (x * 3 + disc + phase) % 256;
      px[o + 1] = (y * 2 + 40 * Math.sin(0.7 * x + phase)) & 255;
      px[o + 2] = ((x ^ y) * 5 + phase * 7) & 255;
    }
  }
  return px;
}

beforeAll(async () => {
  mkdirSync(path.join(tmp, 'in'), { recursive: true });
  let phase = 0;
  for (const [name, [width, height]] of Object.entries(SOURCES)) {
    await sharp(picture(width, height, phase++ * 17), { raw: { width, height, channels: 3 } })
      .png()
      .toFile(path.join(tmp, 'in', name));
  }
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function degrade(args: string[], signal?: AbortSignal, io = memoryIo(tmp)): Promise<Run> {
  const code = await runCli(['degrade', ...args], io, { signal });
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

/** Small and quick: 32 x 32 crops, x4. */
const BASE = ['in', '--crop', '32', '--scale', '4'];

/** Every file under a pairs folder: relative name -> bytes. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const sub of ['hq', 'lq']) {
    for (const f of readdirSync(path.join(tmp, dir, sub)).sort()) {
      files.set(`${sub}/${f}`, readFileSync(path.join(tmp, dir, sub, f)));
    }
  }
  return files;
}

interface Line {
  id: string;
  source: string;
  hq: string;
  lq: string;
  seed: number;
  stream: number;
  crop: { top: number; left: number; height: number; width: number; size: number | null };
  preset: string;
  scale: number;
  params: { pipeline: string; inputSize: [number, number]; outputSize: [number, number] };
}

function paramsLines(dir: string): Line[] {
  const text = readFileSync(path.join(tmp, dir, 'params.jsonl'), 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
}

async function size(file: string): Promise<[number, number]> {
  const m = await sharp(path.join(tmp, file)).metadata();
  return [m.width!, m.height!];
}

describe('pair streams', () => {
  it('fnv1a32 matches the published FNV-1a test vectors', () => {
    // From the FNV reference test suite (Fowler/Noll/Vo): FNV1A_32 of "", "a", "foobar".
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
    expect(pairStream('a', 0)).toBe(fnv1a32('a#0'));
    expect(pairStream('a', 0)).not.toBe(pairStream('a', 1));
  });
});

describe('diffrestore degrade', () => {
  it('writes LQ/HQ pairs of the right sizes and one params line per pair', async () => {
    const r = await degrade([...BASE, '-o', 'p1', '--per-image', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: in\/c\.png is 24x30, smaller than --crop 32: using 24x28/);
    expect(r.stderr).toMatch(/degraded 6 of 6 pair\(s\) from 3 image\(s\) in .*pairs\/s -> p1\n$/);
    const ids = ['a_0', 'a_1', 'b_0', 'b_1', 'c_0', 'c_1'];
    expect(readdirSync(path.join(tmp, 'p1', 'hq')).sort()).toEqual(ids.map((i) => `${i}.png`));
    expect(readdirSync(path.join(tmp, 'p1', 'lq')).sort()).toEqual(ids.map((i) => `${i}.png`));
    for (const id of ['a_0', 'a_1', 'b_0', 'b_1']) {
      expect(await size(`p1/hq/${id}.png`)).toEqual([32, 32]);
      expect(await size(`p1/lq/${id}.png`)).toEqual([8, 8]);
    }
    // c is 24 x 30: used whole, the height trimmed to a multiple of 4.
    expect(await size('p1/hq/c_0.png')).toEqual([24, 28]);
    expect(await size('p1/lq/c_0.png')).toEqual([6, 7]);

    const lines = paramsLines('p1');
    expect(lines.map((l) => l.id)).toEqual(ids);
    for (const l of lines) {
      const [w, h] = SOURCES[`${l.id.split('_')[0]}.png` as keyof typeof SOURCES];
      expect(l.source).toBe(`in/${l.id.split('_')[0]}.png`);
      expect(l.hq).toBe(`hq/${l.id}.png`);
      expect(l.lq).toBe(`lq/${l.id}.png`);
      expect(l.seed).toBe(0);
      expect(l.stream).toBe(fnv1a32(`${l.id.replace(/_(\d+)$/, '#$1')}`));
      expect(l.preset).toBe('realesrgan');
      expect(l.scale).toBe(4);
      expect(l.params.pipeline).toBe('realesrgan');
      expect(l.params.inputSize).toEqual([l.crop.height, l.crop.width]);
      expect(l.crop.top + l.crop.height).toBeLessThanOrEqual(h);
      expect(l.crop.left + l.crop.width).toBeLessThanOrEqual(w);
      expect(l.crop.size).toBe(l.id.startsWith('c') ? null : 32);
    }
  });

  it('records the crop it took: the CodeFormer HQ is exactly that window of the source', async () => {
    const r = await degrade([...BASE, '-o', 'cf', '--preset', 'codeformer', '--per-image', '2']);
    expect(r.code, r.stderr).toBe(0);
    for (const l of paramsLines('cf')) {
      expect(l.params.pipeline).toBe('codeformer');
      const src = await sharp(path.join(tmp, l.source))
        .extract({ left: l.crop.left, top: l.crop.top, width: l.crop.width, height: l.crop.height })
        .raw()
        .toBuffer();
      const hq = await sharp(path.join(tmp, 'cf', l.hq))
        .raw()
        .toBuffer();
      expect(hq.equals(src), l.id).toBe(true);
      expect(await size(`cf/${l.lq}`)).toEqual([l.crop.width / 4, l.crop.height / 4]);
    }
  });

  it('gives different crops and parameters to k = 0 and k = 1', () => {
    const lines = paramsLines('p1');
    const [a0, a1] = [lines[0], lines[1]];
    expect(a0.stream).not.toBe(a1.stream);
    expect(a0.crop).not.toEqual(a1.crop);
    expect(a0.params).not.toEqual(a1.params);
    const p1 = snapshot('p1');
    expect(p1.get('lq/a_0.png')!.equals(p1.get('lq/a_1.png')!)).toBe(false);
  });

  it('is deterministic: same seed, same bytes; another seed, other pairs', async () => {
    expect((await degrade([...BASE, '-o', 'p2', '--per-image', '2'])).code).toBe(0);
    const [a, b] = [snapshot('p1'), snapshot('p2')];
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(b.get(name)!.equals(bytes), name).toBe(true);
    expect(readFileSync(path.join(tmp, 'p2', 'params.jsonl'))).toEqual(
      readFileSync(path.join(tmp, 'p1', 'params.jsonl')),
    );

    expect((await degrade([...BASE, '-o', 's7', '--per-image', '2', '--seed', '7'])).code).toBe(0);
    const c = snapshot('s7');
    for (const name of a.keys()) {
      if (name.startsWith('lq/')) expect(c.get(name)!.equals(a.get(name)!), name).toBe(false);
    }
    expect(paramsLines('s7').every((l) => l.seed === 7)).toBe(true);
  });

  it('does not depend on the other inputs: b alone gives the same b pairs', async () => {
    expect((await degrade(['in/b.png', '--crop', '32', '-o', 'only-b', '--per-image', '2'])).code).toBe(0);
    const [all, alone] = [snapshot('p1'), snapshot('only-b')];
    expect([...alone.keys()]).toEqual(['hq/b_0.png', 'hq/b_1.png', 'lq/b_0.png', 'lq/b_1.png']);
    for (const [name, bytes] of alone) expect(bytes.equals(all.get(name)!), name).toBe(true);
  });

  it('resumes: only missing pairs are redone, with the same bytes and one line per pair', async () => {
    cpSync(path.join(tmp, 'p1'), path.join(tmp, 'resume'), { recursive: true });
    rmSync(path.join(tmp, 'resume', 'lq', 'a_1.png')); // half a pair
    rmSync(path.join(tmp, 'resume', 'hq', 'c_0.png'));
    rmSync(path.join(tmp, 'resume', 'lq', 'c_0.png'));
    const kept = statSync(path.join(tmp, 'resume', 'lq', 'b_0.png')).mtimeMs;
    const r = await degrade([...BASE, '-o', 'resume', '--per-image', '2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\[1\/2\] in\/a\.png -> a_1 /);
    expect(r.stderr).toMatch(/\[2\/2\] in\/c\.png -> c_0 /);
    expect(r.stderr).toMatch(/degraded 2 of 2 pair\(s\) from 2 image\(s\).*, 4 skipped \(exist\) -> resume/);
    expect(statSync(path.join(tmp, 'resume', 'lq', 'b_0.png')).mtimeMs).toBe(kept);
    const [first, resumed] = [snapshot('p1'), snapshot('resume')];
    expect([...resumed.keys()]).toEqual([...first.keys()]);
    for (const [name, bytes] of first) expect(resumed.get(name)!.equals(bytes), name).toBe(true);
    // Appended lines for a_1 and c_0 are folded into one line per id, in plan order.
    expect(readFileSync(path.join(tmp, 'resume', 'params.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(tmp, 'p1', 'params.jsonl'), 'utf8'),
    );

    const again = await degrade([...BASE, '-o', 'resume', '--per-image', '2']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('nothing to do: all 6 pair(s) exist in resume\n');
  });

  it('an interrupted run (Ctrl-C) exits 130 and a rerun completes it with identical bytes', async () => {
    const controller = new AbortController();
    const io = memoryIo(tmp);
    const write = io.stderr.write;
    const stderr = {
      ...io.stderr,
      write: (s: string) => {
        write(s);
        if (s.startsWith('[2/')) controller.abort();
      },
    };
    const cut = await degrade([...BASE, '-o', 'cut', '--per-image', '2'], controller.signal, { ...io, stderr });
    expect(cut.code).toBe(130);
    expect(cut.stderr).toMatch(/degraded 2 of 6 pair\(s\).*interrupted -> cut\n$/);
    expect(paramsLines('cut').map((l) => l.id)).toEqual(['a_0', 'a_1']);
    const rest = await degrade([...BASE, '-o', 'cut', '--per-image', '2']);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stderr).toMatch(/degraded 4 of 4 pair\(s\).*, 2 skipped \(exist\)/);
    const [first, resumed] = [snapshot('p1'), snapshot('cut')];
    for (const [name, bytes] of first) expect(resumed.get(name)?.equals(bytes), name).toBe(true);
    expect(readFileSync(path.join(tmp, 'cut', 'params.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(tmp, 'p1', 'params.jsonl'), 'utf8'),
    );
  });

  it('leaves existing pairs alone unless --overwrite', async () => {
    const file = path.join(tmp, 'p2', 'lq', 'a_0.png');
    writeFileSync(file, 'not an image');
    const skip = await degrade([...BASE, '-o', 'p2', '--per-image', '2']);
    expect(skip.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('not an image');
    const over = await degrade([...BASE, '-o', 'p2', '--per-image', '2', '--overwrite']);
    expect(over.code, over.stderr).toBe(0);
    expect(over.stderr).toMatch(/degraded 6 of 6 pair\(s\)/);
    expect(readFileSync(file).equals(snapshot('p1').get('lq/a_0.png')!)).toBe(true);
    expect(paramsLines('p2')).toHaveLength(6);
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const r = await degrade([...BASE, '-o', 'resume', '--per-image', '2', '--dry-run', '--preset', 'mild']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# 6 pair\(s\) from 3 image\(s\): preset stablesr-mild, scale 4, crop 32, seed 0\n/);
    expect(r.stdout).toMatch(/in\/a\.png -> resume\/hq\/a_0\.png, resume\/lq\/a_0\.png \(exists, skipped\)/);
    const fresh = await degrade([...BASE, '-o', 'never', '--dry-run']);
    expect(fresh.stdout).toMatch(/in\/c\.png -> never\/hq\/c_0\.png, never\/lq\/c_0\.png\n$/);
    expect(existsSync(path.join(tmp, 'never'))).toBe(false);
  });

  it("accepts 'mild' for stablesr-mild, --scale 1 and --resize-back", async () => {
    const mild = await degrade(['in/b.png', '--crop', '16', '--scale', '1', '--preset', 'mild', '-o', 'mild']);
    expect(mild.code, mild.stderr).toBe(0);
    expect(paramsLines('mild')[0].preset).toBe('stablesr-mild');
    expect(await size('mild/lq/b_0.png')).toEqual([16, 16]);
    const back = await degrade(['in/b.png', '--crop', '32', '--resize-back', '-o', 'back']);
    expect(back.code, back.stderr).toBe(0);
    expect(await size('back/hq/b_0.png')).toEqual([32, 32]);
    expect(await size('back/lq/b_0.png')).toEqual([32, 32]);
  });

  it('--no-sharpen keeps the plain crop as HQ (and degrades it, not its sharpened version)', async () => {
    const sharp1 = await degrade(['in/a.png', '--crop', '32', '-o', 'sharpened']);
    const plain = await degrade(['in/a.png', '--crop', '32', '--no-sharpen', '-o', 'plain']);
    expect(sharp1.code, sharp1.stderr).toBe(0);
    expect(plain.code, plain.stderr).toBe(0);
    const plan = await degrade(['in/a.png', '--crop', '32', '--no-sharpen', '-o', 'plain-plan', '--dry-run']);
    expect(plan.stdout).toMatch(/seed 0, no sharpening\n/);
    const [s, p] = [snapshot('sharpened'), snapshot('plain')];
    // Real-ESRGAN degrades the sharpened target, so the LQ changes with it.
    expect(p.get('lq/a_0.png')).not.toEqual(s.get('lq/a_0.png'));
    expect(p.get('hq/a_0.png')).not.toEqual(s.get('hq/a_0.png'));
    const line = paramsLines('plain')[0] as Line & { params: { sharpened: boolean } };
    expect(line.params.sharpened).toBe(false);
    const crop = line.crop;
    const source = await sharp(path.join(tmp, 'in/a.png'))
      .extract({ left: crop.left, top: crop.top, width: crop.width, height: crop.height })
      .removeAlpha()
      .raw()
      .toBuffer();
    const hq = await sharp(path.join(tmp, 'plain/hq/a_0.png')).removeAlpha().raw().toBuffer();
    expect(hq.equals(source)).toBe(true);
  });

  it('answers bad flags with exit code 2 and one line', async () => {
    for (const [args, message] of [
      [['--preset', 'nope'], /--preset must be one of realesrgan, stablesr-mild, codeformer, codeformer-face, mild/],
      [['--crop', '30'], /--crop 30 must be a multiple of the scale 4/],
      [['--scale', '2.5'], /--scale must be an integer/],
      [['--per-image', '0'], /--per-image must be at least 1/],
      [['--seed=-1'], /--seed must be at least 0/],
      [['--preset', 'codeformer', '--no-sharpen'], /--no-sharpen is for the realesrgan and stablesr-mild presets/],
    ] as const) {
      const r = await degrade(['in', '-o', 'bad', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^diffrestore degrade: ${message.source}.*\\n$`));
      expect(r.stderr.split('\n')).toHaveLength(2);
    }
    expect((await degrade(['in'])).code).toBe(2);
    expect(existsSync(path.join(tmp, 'bad'))).toBe(false);
  });

  it('answers a missing input with exit code 1 and two inputs with one name with exit code 2', async () => {
    const missing = await degrade(['nowhere.png', '-o', 'bad']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('diffrestore degrade: input not found: nowhere.png\n');
    mkdirSync(path.join(tmp, 'twin'), { recursive: true });
    cpSync(path.join(tmp, 'in', 'b.png'), path.join(tmp, 'twin', 'a.png'));
    const twin = await degrade(['in/a.png', 'twin/a.png', '-o', 'bad']);
    expect(twin.code).toBe(2);
    expect(twin.stderr).toMatch(/have the same name 'a'/);
  });

  it('fails an unreadable image without stopping the others (exit code 1)', async () => {
    mkdirSync(path.join(tmp, 'mixed'), { recursive: true });
    cpSync(path.join(tmp, 'in', 'b.png'), path.join(tmp, 'mixed', 'b.png'));
    writeFileSync(path.join(tmp, 'mixed', 'broken.png'), 'not a png');
    const r = await degrade(['mixed', '--crop', '32', '-o', 'mixed-out']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[2\/2\] FAILED mixed\/broken\.png \(broken_0\): cannot read image/);
    expect(r.stderr).toMatch(/degraded 1 of 2 pair\(s\) from 1 image\(s\).*, 1 failed -> mixed-out/);
    expect(paramsLines('mixed-out').map((l) => l.id)).toEqual(['b_0']);
  });

  it('the built binary exits 2 with one line for a bad preset', () => {
    const r = runCliProcess(['degrade', 'in', '-o', 'bad', '--preset', 'x'], tmp, 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^diffrestore degrade: --preset must be one of [^\n]*\n$/);
  });
});
