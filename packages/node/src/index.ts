export const PACKAGE = '@diffrestore/node';
