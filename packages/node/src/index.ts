export type { AtomicWriteOptions } from './atomic-write';
export { OutputExistsError, writeFileAtomic } from './atomic-write';
export type { BundleFile, BundleProgress, FetchBundleOptions } from './bundle-cache';
export { cacheFolderFor, defaultCacheDir, fetchBundle, listManifestFiles, sha256File } from './bundle-cache';
export type { DecodedImage, ImageFormat, ImageToWrite, ReadImageOptions, WriteImageOptions } from './image-io';
export { encodeImage, formatFromPath, readImage, writeImage } from './image-io';
export type { GraphOptimizationLevel, NodeRuntime, NodeRuntimeOptions } from './runtime';
export { createNodeRuntime } from './runtime';
export { WorkerCrashError } from './worker-host';
