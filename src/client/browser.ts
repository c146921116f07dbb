/** Entry of the browser bundle (dist/browser/signet-client.js): the browser-safe client kit. */
export * from './index.js';
