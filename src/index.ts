export * from './protocol/index.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { systemClock, ManualClock, type Clock } from './clock.js';
