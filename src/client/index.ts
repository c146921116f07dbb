export * from './keys.js';
export { signRequest, type SignRequestInput, type SignedRequest, type SigningKey } from '../protocol/sign.js';
