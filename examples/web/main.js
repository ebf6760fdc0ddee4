// The page decodes and encodes images (no canvas in the DOM needed); the worker owns
// onnxruntime-web and runs the graph tile by tile, reporting progress, so the page stays
// responsive and a run can be cancelled.
import { createWorkerRuntime, decodeImage, encodeImage, WorkerClient } from '@diffrestore/web';

const $ = (id) => document.getElementById(id);
const ortFiles = `${location.origin}/node_modules/onnxruntime-web/dist/`;
let picked;
let controller;
let client;
let runtime;
let backend;

function worker(kind) {
  // one worker per backend choice: onnxruntime-web's settings are fixed once it initialised
  if (client && backend === kind) return runtime;
  client?.terminate();
  backend = kind;
  client = new WorkerClient(new Worker('/packages/web/dist/browser/worker.js', { type: 'module' }));
  runtime = createWorkerRuntime(client, { wasmPaths: ortFiles, executionProviders: [kind] });
  return runtime;
}

$('file').addEventListener('change', async () => {
  const file = $('file').files[0];
  if (!file) return;
  picked = { file, ...(await decodeImage(file)) };
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
  const started = performance.now();
  try {
    const rt = worker($('backend').value);
    $('status').textContent = 'loading the graph…';
    const modelUrl = new URL($('model').value, location.href).href;
    const session = await rt.createSession(modelUrl);
    $('status').textContent = 'running…';
    const tile = Number($('tile').value);
    const { image } = await rt.client.request(
      'mapImage',
      { handle: session.handle, image: picked.image, tile, stride: Math.max(16, Math.round(tile * 0.75)) },
      {
        signal: controller.signal,
        onProgress: (p) => {
          $('progress').value = p.done / p.total;
          $('status').textContent = `tile ${p.done} of ${p.total}`;
        },
      },
    );
    await session.release();
    const blob = await encodeImage({ image, alpha: picked.alpha }, { type: 'image/png' });
    const url = URL.createObjectURL(blob);
    $('after').src = url;
    $('download').href = url;
    $('status').textContent = `done in ${((performance.now() - started) / 1000).toFixed(2)} s`;
    $('info').textContent =
      `${rt.name}; output ${image.shape.join(' x ')}; crossOriginIsolated=${self.crossOriginIsolated}`;
  } catch (e) {
    $('status').textContent = e.name === 'AbortError' ? 'cancelled' : `failed: ${e.message}`;
  } finally {
    $('run').disabled = false;
    $('cancel').disabled = true;
  }
});

$('cancel').addEventListener('click', () => controller?.abort());
