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
    dts: { entry: { index: 'packages/node/src/index.ts' } },
    outDir: 'packages/node/dist',
    tsconfig: 'packages/node/tsconfig.json',
    external: ['@diffrestore/core', 'onnxruntime-node', 'onnxruntime-common', 'sharp'],
  },
  {
    ...common,
    name: 'web',
    entry: { index: 'packages/web/src/index.ts' },
    outDir: 'packages/web/dist',
    tsconfig: 'packages/web/tsconfig.json',
    external: ['@diffrestore/core', 'onnxruntime-web', 'onnxruntime-common'],
  },
]);
