export * from './abort';
export * from './utf8';
