/** The client kit for Node: everything browser-safe plus key files on disk. */
export * from './index.js';
export * from './key-file.js';
