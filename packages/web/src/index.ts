export const PACKAGE = '@diffrestore/web';
