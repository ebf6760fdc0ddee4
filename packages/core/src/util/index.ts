export * from './abort';
