// The page decodes the picked file and draws the result; the worker (the package's
// self-contained dist/browser/worker.js) downloads the bundle once (SHA-256 checked, kept in
// the Cache API), opens it, and runs the whole restore, reporting progress. The page stays
// responsive, and Abort stops the worker at its next step.
import { createRestoreWorker, decodeImage, imageToImageData } from '@diffrestore/web';

const $ = (id) => document.getElementById(id);
const ortFiles = '/node_modules/onnxruntime-web/dist/';
const stageAt = { prepare: 0.22, clean: 0.25, encode: 0.3, sample: 0.35, decode: 0.92, finish: 0.97 };
let picked;
let controller;
let worker;
let backend;

function restoreWorker(kind) {
  // one worker per backend: onnxruntime-web's settings are fixed once it initialised
  if (worker && backend === kind) return worker;
  worker?.terminate();
  backend = kind;
  worker = createRestoreWorker('/packages/web/dist/browser/worker.js', {
    wasmPaths: ortFiles,
    executionProviders: kind === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
  });
  return worker;
}

function showProgress(p) {
  let value = $('progress').value;
  let text = $('status').textContent;
  if (p.type === 'download') {
    value = p.total > 0 ? (0.2 * p.loaded) / p.total : 0;
    text = `downloading the bundle: ${(p.loaded / 1e6).toFixed(1)} of ${(p.total / 1e6).toFixed(1)} MB (${p.path})`;
  } else if (p.type === 'open') {
    value = 0.2;
    text = 'creating ONNX sessions…';
  } else if (p.type === 'stage') {
    value = stageAt[p.stage] ?? value;
    text = `${p.stage}…`;
  } else if (p.type === 'step') {
    value = stageAt.sample + ((stageAt.decode - stageAt.sample) * (p.step + 1)) / p.steps;
    text = `sampling: step ${p.step + 1} of ${p.steps}`;
  } else if (p.type === 'tile') {
    text = `${p.stage}: tile ${p.index + 1} of ${p.count}`;
  }
  $('progress').value = value;
  $('status').textContent = text;
}

function options() {
  const guidance = $('guidance').value;
  const steps = $('steps').value;
  const minShortSide = $('minShortSide').value;
  return {
    bundleUrl: $('bundle').value,
    upscale: Number($('upscale').value),
    seed: Number($('seed').value),
    ...(steps ? { steps: Number(steps) } : {}),
    ...(minShortSide ? { minShortSide: Number(minShortSide) } : {}),
    ...(guidance === 'default'
      ? {}
      : guidance === 'none'
        ? { guidance: { kind: 'none' } }
        : { guidance: { kind: guidance, scale: Number($('guidanceScale').value) } }),
  };
}

$('file').addEventListener('change', async () => {
  const file = $('file').files[0];
  if (!file) return;
  picked = await decodeImage(file);
  $('before').src = URL.createObjectURL(file);
  const [, , h, w] = picked.image.shape;
  $('status').textContent = `${w} x ${h}${picked.alpha ? ', with alpha (kept aside, resized, put back)' : ''}`;
  $('run').disabled = false;
});

$('run').addEventListener('click', async () => {
  controller = new AbortController();
  $('run').disabled = true;
  $('cancel').disabled = false;
  $('progress').value = 0;
  try {
    const w = restoreWorker($('backend').value);
    const result = await w.restore(picked, { ...options(), signal: controller.signal, onProgress: showProgress });
    const canvas = $('result');
    const data = imageToImageData({ image: result.image, alpha: result.alpha });
    canvas.width = data.width;
    canvas.height = data.height;
    canvas.getContext('2d').putImageData(data, 0, 0);
    canvas.toBlob((blob) => {
      $('download').href = URL.createObjectURL(blob);
    }, 'image/png');
    $('progress').value = 1;
    $('status').textContent = `done in ${(result.wallMs / 1000).toFixed(2)} s`;
    const { runtime, crossOriginIsolated } = await w.ready;
    const t = result.timings;
    const stages = Object.entries(t.stages)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ');
    $('info').textContent =
      `${runtime}, crossOriginIsolated=${crossOriginIsolated}\n` +
      `bundle ${result.bundle.name}: ${result.bundle.warm ? 'already open' : `loaded in ${result.bundle.loadMs.toFixed(0)} ms`}\n` +
      `output ${data.width} x ${data.height}, seed ${result.seed}\n` +
      `restore ${t.totalMs.toFixed(0)} ms (${t.runs} ONNX runs, ${t.runtimeMs.toFixed(0)} ms inside ONNX Runtime)\n` +
      `stages (ms): ${stages}`;
  } catch (e) {
    $('status').textContent = e.name === 'AbortError' ? 'aborted' : `failed: ${e.message}`;
  } finally {
    $('run').disabled = false;
    $('cancel').disabled = true;
  }
});

$('cancel').addEventListener('click', () => controller?.abort());
