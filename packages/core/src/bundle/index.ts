export * from './bundle-files';
export * from './check-graph-signature';
export * from './embedding';
export * from './graph-contracts';
export * from './manifest';
export * from './parse-bundle-manifest';
