export * from './constants.js';
export * from './content-digest.js';
export * from './sign.js';
export * from './signature-base.js';
export * from './signature-input.js';
export { parseStrictDictionary } from './structured-fields.js';
