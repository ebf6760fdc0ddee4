#!/usr/bin/env node
// Regenerates docs/images/degradations-grid.png: one photo under the degradation presets of
// @diffrestore/core, several seeds each, and prints the caption table for docs/degradations.md.
//
//   npx tsup && node scripts/degradation-figure.mjs [input.png] [output.png]
//
// Rows: Real-ESRGAN defaults (x4, LQ resized back), StableSR mild (x4, resized back),
// CodeFormer (resized back by the model itself). Column 0 is the pair's HQ (unsharp-masked
// for the Real-ESRGAN presets), then one LQ per seed. Runs against the built dist/.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CODEFORMER_DEFAULTS,
  codeformerDegradation,
  createRng,
  REALESRGAN_DEFAULTS,
  realEsrganDegradation,
  STABLESR_MILD,
} from '@diffrestore/core';
import { readImage } from '@diffrestore/node';
import sharp from 'sharp';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const input = process.argv[2] ?? path.join(root, 'examples/images/chelsea-256.png');
const output = process.argv[3] ?? path.join(root, 'docs/images/degradations-grid.png');
const SEEDS = [1, 2, 3, 4];
/** Each tile shows the centre TILE x TILE of the result at 1:1, so the file stays small. */
const TILE = 160;
const GAP = 4;

const ROWS = [
  {
    name: 'Real-ESRGAN',
    run: (img, rng) => realEsrganDegradation(img, { ...REALESRGAN_DEFAULTS, resizeBack: true }, rng),
  },
  {
    name: 'StableSR mild',
    run: (img, rng) => realEsrganDegradation(img, { ...STABLESR_MILD, resizeBack: true }, rng),
  },
  {
    name: 'CodeFormer',
    run: (img, rng) => codeformerDegradation(img, CODEFORMER_DEFAULTS, rng),
  },
];

const f = (x, d = 1) => Number(x).toFixed(d);

function kernelText(k) {
  if (!k) return 'no blur';
  if (k.type === 'sinc') return `sinc ω ${f(k.omega, 2)}`;
  const sigma = k.sigmaX === k.sigmaY ? f(k.sigmaX, 2) : `${f(k.sigmaX, 2)}/${f(k.sigmaY, 2)}`;
  return `${k.type} ${k.size}² σ ${sigma}`;
}

function noiseText(n) {
  if (!n) return 'no noise';
  const gray = n.gray ? ' gray' : '';
  return n.kind === 'gaussian' ? `Gauss σ ${f(n.sigma)}${gray}` : `Poisson ×${f(n.scale, 2)}${gray}`;
}

function resizeText(r) {
  return r.direction === 'keep' ? 'keep' : `${r.direction} ×${f(r.scale, 2)} ${r.mode}`;
}

/** One table cell summarising what a pipeline drew. */
function summary(p) {
  if (p.pipeline === 'codeformer') {
    return `${kernelText(p.kernel)}; ÷${f(p.downsample.factor, 2)}; ${noiseText(p.noise)}; JPEG ${f(p.jpegQuality, 0)}`;
  }
  const fin = p.final;
  const sinc = fin.sinc ? `sinc ω ${f(fin.sinc.omega, 2)}` : 'no sinc';
  const jpeg = `JPEG ${f(fin.jpegQuality, 0)}`;
  const finalText = fin.order === 'resize-sinc-jpeg' ? `${sinc}, ${jpeg}` : `${jpeg}, ${sinc}`;
  return [
    `1: ${kernelText(p.first.kernel)}, ${resizeText(p.first.resize)}, ${noiseText(p.first.noise)}, JPEG ${f(p.first.jpegQuality, 0)}`,
    `2: ${kernelText(p.second.kernel)}, ${resizeText(p.second.resize)}, ${noiseText(p.second.noise)}`,
    `final: ${finalText}`,
  ].join('<br>');
}

/** The centre TILE x TILE of a (1, 3, H, W) tensor as interleaved 8-bit RGB. */
function centreTile(t) {
  const [, , h, w] = t.shape;
  const top = Math.floor((h - TILE) / 2);
  const left = Math.floor((w - TILE) / 2);
  const out = Buffer.alloc(TILE * TILE * 3);
  for (let y = 0; y < TILE; y++) {
    for (let x = 0; x < TILE; x++) {
      for (let c = 0; c < 3; c++) {
        const v = t.data[(c * h + top + y) * w + left + x];
        out[(y * TILE + x) * 3 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  return out;
}

const { image } = await readImage(input);
const cols = SEEDS.length + 1;
const width = cols * TILE + (cols - 1) * GAP;
const height = ROWS.length * TILE + (ROWS.length - 1) * GAP;
const tiles = [];
const table = ['| preset | seed | drawn parameters |', '|---|---|---|'];
for (const [r, row] of ROWS.entries()) {
  for (const [s, seed] of SEEDS.entries()) {
    const { lq, hq, params } = row.run(image, createRng(seed));
    if (s === 0) tiles.push({ r, c: 0, px: centreTile(hq) });
    tiles.push({ r, c: s + 1, px: centreTile(lq) });
    table.push(`| ${row.name} | ${seed} | ${summary(params)} |`);
  }
}
const composites = tiles.map(({ r, c, px }) => ({
  input: px,
  raw: { width: TILE, height: TILE, channels: 3 },
  left: c * (TILE + GAP),
  top: r * (TILE + GAP),
}));
const info = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } })
  .composite(composites)
  // 256-colour palette (libimagequant, light dithering): half the size of truecolour, same look.
  .png({ compressionLevel: 9, palette: true, colours: 256, quality: 100, dither: 0.5, effort: 10 })
  .toFile(output);
process.stderr.write(`wrote ${path.relative(process.cwd(), output)}: ${width}x${height}, ${info.size} bytes\n`);
process.stdout.write(`${table.join('\n')}\n`);
