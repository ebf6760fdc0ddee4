#!/usr/bin/env node
// Quality benchmark of a bundle on held-out photos (protocol: docs/evaluation.md).
//
//   npx tsup --silent
//   node scripts/evaluate.mjs --bundle DIR --images DIR|FILE,FILE --out DIR
//        [--scales 0,0.25,0.5,1,2] [--tasks sr4,restore1] [--seed 0|0,1,2] [--crop 256]
//        [--steps N] [--sampler KIND] [--cfg S] [--min-short-side N] [--space latent|pixel]
//        [--grid-images 3] [--grid-scale S] [--grid-side PX] [--no-warmup] [--quiet]
//
// For every image: a centre crop (ground truth), one Real-ESRGAN degradation per task from a
// seed fixed by (--seed, image name, task), then PSNR-Y / SSIM-Y against the ground truth of
// bicubic up-sampling, the bundle's cleaner alone (stage 1), and the full pipeline at each
// region-adaptive guidance scale (same sampling seed), plus the full output's PSNR-Y to the
// cleaner's. Writes results.json, results.md (tables) and grid-<task>.png (input up-sampled /
// cleaner / full / ground truth for the first --grid-images images). Runs on the built dist/.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  createRng,
  cropImage,
  onnxCleaner,
  planStage1,
  psnrY,
  REALESRGAN_DEFAULTS,
  realEsrganDegradation,
  resize,
  restoreImage,
  runStage1,
  ssimY,
} from '@diffrestore/core';
import { loadBundle, readImage, writeImage } from '@diffrestore/node';

const USAGE =
  'usage: node scripts/evaluate.mjs --bundle DIR --images DIR|FILE,FILE --out DIR [options] (see docs/evaluation.md)';
const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg', '.webp', '.tif', '.tiff']);
/** Metrics read images as 8-bit files would store them (BasicSR evaluates saved PNGs). */
const QUANTIZE = true;

/** FNV-1a 32-bit hash: the degradation stream of an (image, task), independent of the image list's order. */
function streamOf(text) {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(text, 'utf8')) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A task name: `sr<k>` (LQ = HQ / k, restored x k), `restore1` (degraded at the HQ size, scale
 * 1), `bsr<k>` (degraded at / k and resized back to the HQ size: DiffBIR's BSR setting).
 */
function parseTask(name) {
  let m = /^sr(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 2) return { name, scale: Number(m[1]), resizeBack: false, upscale: Number(m[1]) };
  if (name === 'restore1') return { name, scale: 1, resizeBack: false, upscale: 1 };
  m = /^bsr(\d+)$/.exec(name);
  if (m && Number(m[1]) >= 1) return { name, scale: Number(m[1]), resizeBack: true, upscale: 1 };
  throw new RangeError(`unknown task '${name}' (sr<k>, restore1, bsr<k>)`);
}

/** Side of the centre crop: at most `crop`, at most the image, a multiple of 8 (and so of 2 and 4). */
function centreCrop(h, w, crop) {
  const side = Math.floor(Math.min(crop, h, w) / 8) * 8;
  if (side < 16) throw new RangeError(`image ${w}x${h} is too small for a crop`);
  return { top: Math.floor((h - side) / 2), left: Math.floor((w - side) / 2), size: side };
}

/** Bicubic resize (antialiased when shrinking), clamped to [0, 1] as a saved image would be. */
function bicubicTo(image, h, w) {
  const [, , ih, iw] = image.shape;
  const r = ih === h && iw === w ? image : resize(image, h, w, { mode: 'bicubic', antialias: h < ih || w < iw });
  return { data: r.data.map((v) => Math.min(1, Math.max(0, v))), shape: r.shape };
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
const methodKey = (scale) => `full@${scale}`;

/** Panels (1,3,s,s) in rows, `gap` white pixels apart. */
function gridImage(rows, gap = 4) {
  const [, , h, w] = rows[0][0].shape;
  const cols = rows[0].length;
  const width = cols * w + (cols - 1) * gap;
  const height = rows.length * h + (rows.length - 1) * gap;
  const data = new Float32Array(3 * height * width).fill(1);
  rows.forEach((row, r) => {
    row.forEach((p, c) => {
      for (let ch = 0; ch < 3; ch++) {
        for (let y = 0; y < h; y++) {
          const from = (ch * h + y) * w;
          data.set(p.data.subarray(from, from + w), (ch * height + r * (h + gap) + y) * width + c * (w + gap));
        }
      }
    });
  });
  return { data, shape: [1, 3, height, width] };
}

async function listImages(spec) {
  if (spec.includes(',')) return spec.split(',').map((p) => path.resolve(p));
  const entries = await readdir(spec, { withFileTypes: true }).catch(() => null);
  if (!entries) return [path.resolve(spec)];
  return entries
    .filter((e) => e.isFile() && IMAGE_EXT.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.resolve(spec, e.name))
    .sort();
}

const fmt = (v, d) => (v === undefined ? '–' : Number.isFinite(v) ? v.toFixed(d) : '∞');

/** The markdown tables of a results object. */
function markdownTables(results) {
  const p = results.protocol;
  const lines = [
    `Bundle \`${p.bundle.name}\`${p.bundle.randomWeights ? ' (random weights)' : ''}; ${p.images.length} images, centre crop ≤ ${p.crop} px; ` +
      `sampler ${p.sampler}, ${p.steps} steps, CFG ${p.cfgScale}, minShortSide ${p.minShortSide}, seed ${p.sampleSeed}; ` +
      `degradation seed${p.seeds.length > 1 ? `s ${p.seeds.join(', ')} (one draw each per image and task; means over all draws)` : ` ${p.seed}`}; ` +
      `guidance region-adaptive (${p.space}).`,
    '',
    '| task | method | guidance | PSNR-Y (dB) | SSIM-Y | PSNR-Y to cleaner (dB) | median wall (s) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results.summary) {
    lines.push(
      `| ${r.task} | ${r.method} | ${r.guidance ?? '–'} | ${fmt(r.psnrY, 2)} | ${fmt(r.ssimY, 4)} | ${fmt(r.psnrYToCleaner, 2)} | ${fmt(r.medianSeconds, 2)} |`,
    );
  }
  lines.push('', `PSNR-Y (dB) per image${p.seeds.length > 1 ? ' (mean over the draws)' : ''}:`, '');
  const methods = results.summary.map((r) => [r.task, r.key]);
  const names = [...new Set(results.images.map((i) => i.name))];
  lines.push(`| task | method | ${names.join(' | ')} |`);
  lines.push(`| --- | --- | ${names.map(() => '---').join(' | ')} |`);
  for (const [task, key] of methods) {
    const perImage = names.map((n) =>
      mean(results.images.filter((i) => i.name === n).map((i) => i.tasks[task].methods[key].psnrY)),
    );
    lines.push(`| ${task} | ${key} | ${perImage.map((v) => fmt(v, 2)).join(' | ')} |`);
  }
  const mono = Object.entries(results.fidelityRises).map(
    ([t, v]) => `${t}: ${v.toCleaner ? 'yes' : 'no'} / ${v.toTruth ? 'yes' : 'no'}`,
  );
  lines.push(
    '',
    `Mean PSNR-Y rises with the guidance scale (to the cleaner / to the ground truth): ${mono.join('; ')}.`,
    '',
  );
  return lines.join('\n');
}

async function main() {
  const { values } = parseArgs({
    options: {
      bundle: { type: 'string' },
      images: { type: 'string' },
      out: { type: 'string' },
      scales: { type: 'string', default: '0,0.25,0.5,1,2' },
      tasks: { type: 'string', default: 'sr4,restore1' },
      seed: { type: 'string', default: '0' },
      crop: { type: 'string', default: '256' },
      steps: { type: 'string' },
      sampler: { type: 'string' },
      cfg: { type: 'string' },
      'sample-seed': { type: 'string' },
      'min-short-side': { type: 'string' },
      space: { type: 'string', default: 'latent' },
      'grid-images': { type: 'string', default: '3' },
      'grid-scale': { type: 'string' },
      'grid-side': { type: 'string' },
      'no-warmup': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.bundle || !values.images || !values.out) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const log = values.quiet ? () => {} : (...a) => console.error(...a);
  const scales = values.scales.split(',').map(Number);
  if (scales.some((s) => !(s >= 0))) throw new RangeError(`--scales must be non-negative numbers: ${values.scales}`);
  const tasks = values.tasks.split(',').map(parseTask);
  const seeds = values.seed.split(',').map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff)) {
    throw new RangeError(`--seed must be integers 0-4294967295, comma-separated: ${values.seed}`);
  }
  const cropMax = Number(values.crop);
  const gridScale =
    values['grid-scale'] !== undefined ? Number(values['grid-scale']) : scales.includes(1) ? 1 : scales.at(-1);
  const files = await listImages(values.images);
  if (files.length === 0) throw new Error(`no images in ${values.images}`);

  const bundle = await loadBundle(path.resolve(values.bundle));
  const model = bundle.model;
  if (!model.cleaner) throw new Error('the bundle has no cleaner: the cleaner-only row needs one');
  const defaults = model.defaults;
  const steps = values.steps !== undefined ? Number(values.steps) : defaults.steps;
  const cfgScale = values.cfg !== undefined ? Number(values.cfg) : defaults.cfgScale;
  const minShortSide =
    values['min-short-side'] !== undefined ? Number(values['min-short-side']) : defaults.minShortSide;
  const sampler = values.sampler !== undefined ? { kind: values.sampler } : defaults.sampler;
  const sampleSeed =
    values['sample-seed'] !== undefined ? Number(values['sample-seed']) : bundle.manifest.defaults.seed;
  const cleanerRun = {
    cleaner: onnxCleaner(model.cleaner.session),
    ...model.cleaner.info,
    tile: { size: 512, stride: 256 },
  };

  const restoreOptions = (task, size, scale) => ({
    upscale: task.upscale,
    outputSize: { width: size, height: size },
    steps,
    cfgScale,
    sampler,
    seed: sampleSeed,
    minShortSide,
    guidance: scale === 0 ? { kind: 'none' } : { kind: 'region-adaptive', space: values.space, scale },
  });

  const images = [];
  const grids = Object.fromEntries(tasks.map((t) => [t.name, []]));
  let warm = values['no-warmup'];
  try {
    for (const file of files) {
      const name = path.basename(file, path.extname(file));
      const { image: full } = await readImage(file);
      const [, , H, W] = full.shape;
      const c = centreCrop(H, W, cropMax);
      const truth = cropImage(full, c.top, c.left, c.size, c.size);
      for (const seed of seeds) {
        const entry = { name, file: path.basename(file), seed, size: [W, H], crop: c, tasks: {} };
        for (const task of tasks) {
          const stream = streamOf(`${name}/${task.name}`);
          const config = { ...REALESRGAN_DEFAULTS, scale: task.scale, resizeBack: task.resizeBack, sharpen: false };
          const { lq, params } = realEsrganDegradation(truth, config, createRng(seed, stream));
          const border = task.scale;
          const measure = (img) => ({
            psnrY: psnrY(img, truth, { crop: border, quantize: QUANTIZE }),
            ssimY: ssimY(img, truth, { crop: border, quantize: QUANTIZE }),
          });
          const methods = {};
          let t0 = performance.now();
          const up = bicubicTo(lq, c.size, c.size);
          methods.bicubic = { ...measure(up), seconds: (performance.now() - t0) / 1000 };

          if (!warm) {
            await restoreImage(model, lq, restoreOptions(task, c.size, scales[0]));
            warm = true;
          }
          const [, , lh, lw] = lq.shape;
          t0 = performance.now();
          const cleanedRaw = await runStage1(lq, planStage1(lh, lw, task.upscale, minShortSide), cleanerRun);
          const cleaned = bicubicTo(cleanedRaw, c.size, c.size);
          methods.cleaner = { ...measure(cleaned), seconds: (performance.now() - t0) / 1000 };

          let gridFull;
          for (const scale of scales) {
            t0 = performance.now();
            const r = await restoreImage(model, lq, restoreOptions(task, c.size, scale));
            const seconds = (performance.now() - t0) / 1000;
            methods[methodKey(scale)] = {
              ...measure(r.image),
              psnrYToCleaner: psnrY(r.image, cleaned, { crop: border, quantize: QUANTIZE }),
              ssimYToCleaner: ssimY(r.image, cleaned, { crop: border, quantize: QUANTIZE }),
              seconds,
            };
            if (scale === gridScale) gridFull = r.image;
            log(
              `${name} ${task.name} full@${scale}: ${methods[methodKey(scale)].psnrY.toFixed(2)} dB, ${seconds.toFixed(2)} s`,
            );
          }
          entry.tasks[task.name] = {
            stream,
            lqSize: [lq.shape[3], lq.shape[2]],
            border,
            degradation: params,
            methods,
          };
          if (seed === seeds[0] && grids[task.name].length < Number(values['grid-images']) && gridFull) {
            grids[task.name].push([up, cleaned, gridFull, truth]);
          }
        }
        images.push(entry);
        log(`${name} (degradation seed ${seed}): done`);
      }
    }
  } finally {
    await bundle.close();
  }

  const summary = [];
  const fidelityRises = {};
  for (const task of tasks) {
    const rowsOf = (key) => images.map((i) => i.tasks[task.name].methods[key]);
    const row = (key, method, guidance) => {
      const rs = rowsOf(key);
      const r = {
        task: task.name,
        key,
        method,
        guidance,
        psnrY: mean(rs.map((x) => x.psnrY)),
        ssimY: mean(rs.map((x) => x.ssimY)),
        medianSeconds: median(rs.map((x) => x.seconds)),
      };
      if (rs[0].psnrYToCleaner !== undefined) r.psnrYToCleaner = mean(rs.map((x) => x.psnrYToCleaner));
      summary.push(r);
      return r;
    };
    row('bicubic', task.upscale > 1 ? 'bicubic' : 'input', undefined);
    row('cleaner', 'cleaner only', undefined);
    const full = scales.map((s) => row(methodKey(s), 'full pipeline', s));
    const rising = (k) => full.every((r, i) => i === 0 || r[k] > full[i - 1][k]);
    fidelityRises[task.name] = { toCleaner: rising('psnrYToCleaner'), toTruth: rising('psnrY') };
  }

  const results = {
    protocol: {
      bundle: {
        name: bundle.manifest.name,
        folder: path.resolve(values.bundle),
        randomWeights: bundle.manifest.provenance.randomWeights,
      },
      images: [...new Set(images.map((i) => i.file))],
      crop: cropMax,
      seed: seeds[0],
      seeds,
      tasks: tasks.map((t) => t.name),
      scales,
      steps,
      sampler: values.sampler ?? bundle.manifest.defaults.sampler,
      cfgScale,
      minShortSide,
      sampleSeed,
      space: values.space,
      quantize: QUANTIZE,
      degradation: 'REALESRGAN_DEFAULTS with sharpen: false',
    },
    summary,
    fidelityRises,
    images,
  };
  const out = path.resolve(values.out);
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(path.join(out, 'results.md'), markdownTables(results));
  for (const task of tasks) {
    if (grids[task.name].length === 0) continue;
    // Panels at 1:1: the centre `--grid-side` px of each crop (default: the smallest crop).
    const smallest = Math.min(...grids[task.name].map((r) => r[0].shape[2]));
    const side = Math.min(smallest, values['grid-side'] !== undefined ? Number(values['grid-side']) : smallest);
    const centre = (p) => {
      const o = Math.floor((p.shape[2] - side) / 2);
      return cropImage(p, o, o, side, side);
    };
    const rows = grids[task.name].map((r) => r.map(centre));
    await writeImage(path.join(out, `grid-${task.name}.png`), { image: gridImage(rows) }, { overwrite: true });
  }
  if (!values.quiet) console.log(markdownTables(results));
}

await main();
