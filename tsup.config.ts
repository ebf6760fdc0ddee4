import { defineConfig } from 'tsup';

// One build for the workspace: each package gets ESM + CJS + .d.ts in its own dist/.
const common = {
  format: ['esm', 'cjs'] as ('esm' | 'cjs')[],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  splitting: false,
  treeshake: true,
};

export default defineConfig([
  {
    ...common,
    name: 'core',
    entry: { index: 'packages/core/src/index.ts' },
    outDir: 'packages/core/dist',
    tsconfig: 'packages/core/tsconfig.json',
    external: ['onnxruntime-common'],
  },
  {
    ...common,
    name: 'node',
    // worker: the worker-thread entry the runtime loads beside itself; cli: the bin.
    entry: {
      index: 'packages/node/src/index.ts',
      worker: 'packages/node/src/worker.ts',
      cli: 'packages/node/src/cli/main.ts',
    },
    // types of core from its sources: core's own dist/*.d.ts is built (and cleaned) in parallel
    dts: {
      entry: { index: 'packages/node/src/index.ts' },
      compilerOptions: { baseUrl: '.', paths: { '@diffrestore/core': ['packages/core/src/index.ts'] } },
    },
    outDir: 'packages/node/dist',
    tsconfig: 'packages/node/tsconfig.json',
    external: ['@diffrestore/core', 'onnxruntime-node', 'onnxruntime-common', 'sharp'],
  },
  {
    ...common,
    name: 'web',
    // worker: the Web Worker entry for bundler users (`new Worker(new URL(...), { type: 'module' })`).
    entry: { index: 'packages/web/src/index.ts', worker: 'packages/web/src/worker.ts' },
    // types of core from its sources: core's own dist/*.d.ts is built (and cleaned) in parallel
    dts: {
      entry: { index: 'packages/web/src/index.ts' },
      compilerOptions: { baseUrl: '.', paths: { '@diffrestore/core': ['packages/core/src/index.ts'] } },
    },
    outDir: 'packages/web/dist',
    // dist/browser/ is written by the config below at the same time: leave it to that one
    clean: ['!browser/**'],
    platform: 'browser',
    tsconfig: 'packages/web/tsconfig.json',
    external: ['@diffrestore/core', 'onnxruntime-web', 'onnxruntime-common'],
  },
  {
    // Self-contained ES modules for pages without a bundler (workers cannot use import maps):
    // core and onnxruntime-web inlined; ORT's .mjs/.wasm stay outside, found via wasmPaths.
    name: 'web',
    entry: { index: 'packages/web/src/index.ts', worker: 'packages/web/src/worker.ts' },
    outDir: 'packages/web/dist/browser',
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    clean: true,
    splitting: false,
    treeshake: true,
    dts: false,
    tsconfig: 'packages/web/tsconfig.json',
    noExternal: [/.*/],
    esbuildOptions(options) {
      options.conditions = ['onnxruntime-web-use-extern-wasm'];
    },
  },
]);
