export const PACKAGE = '@diffrestore/web';

export {
  type BundleStore,
  bundleFileUrl,
  type CacheFileEntry,
  type CacheProgress,
  cacheApiStore,
  type FetchBundleOptions,
  type FetchBundleResult,
  fetchBundleFiles,
  memoryStore,
  readBundleFile,
  sha256Hex,
} from './cache';
export {
  type DecodeImageOptions,
  decodeImage,
  type EncodedImageType,
  type EncodeImageOptions,
  encodeImage,
  imageFromBitmap,
  imageFromImageData,
  imageToImageData,
} from './image-io';
export {
  type AlphaPolicy,
  fitAlpha,
  imageFromRgba,
  imageToRgba,
  type ReadPixelsOptions,
  type RestorableImage,
  type WritePixelsOptions,
} from './image-pixels';
export {
  createRestoreWorker,
  type RestoreWorker,
  type RestoreWorkerInput,
  type RestoreWorkerOptions,
  type RestoreWorkerResult,
} from './restore-client';
export { createRestoreHandlers, type RestoreHandlersOptions, restoreOptionsFromWire } from './restore-handlers';
export type {
  CloseBundleRequest,
  RestoreBundleInfo,
  RestoreRequest,
  RestoreResponse,
  RestoreWorkerProgress,
  WireGuidanceChoice,
  WireRestoreOptions,
} from './restore-protocol';
export { RunQueue } from './run-queue';
export {
  createWebRuntime,
  type WebExecutionProvider,
  type WebModelSession,
  type WebRuntime,
  type WebRuntimeOptions,
  type WebSessionOptions,
  webRunQueue,
} from './runtime';
export {
  type LoadWebBundleOptions,
  loadWebBundle,
  type UrlBundleSourceOptions,
  urlBundleSource,
  type WebBundle,
} from './url-bundle-source';
export {
  createWorkerRuntime,
  fromWireError,
  WorkerClient,
  type WorkerLike,
  type WorkerModelSession,
  type WorkerRequestOptions,
  type WorkerRuntime,
} from './worker-client';
export { createRuntimeHandlers, type RuntimeHandlersOptions } from './worker-handlers';
export {
  serveWorker,
  type WorkerEndpoint,
  type WorkerHandler,
  type WorkerHandlerContext,
  type WorkerHandlers,
} from './worker-host';
export type {
  AbortMessage,
  ErrorMessage,
  FromWorkerMessage,
  MapImageRequest,
  ProgressMessage,
  RequestMessage,
  ResultMessage,
  ToWorkerMessage,
  WireError,
  WireTensor,
  WorkerOpName,
  WorkerOps,
  WorkerProgress,
  WorkerProgressOf,
  WorkerRuntimeSettings,
} from './worker-protocol';
export { transferablesOf } from './worker-protocol';
