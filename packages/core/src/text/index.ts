export * from './clean-text';
export * from './clip-tokenizer';
export * from './html-entities';
export * from './inflate';
export * from './prompt-encoder';
