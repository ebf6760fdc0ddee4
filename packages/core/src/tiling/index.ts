export * from './gaussian-weights';
export * from './pixel-tiles';
export * from './tiled-denoiser';
export * from './windows';
