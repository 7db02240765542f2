// Library entry point: everything the CLI does is reachable from here.
export { replay, type ReplayOptions } from './engine/replay.js';
export { loadConfig, listPresets } from './config/index.js';
export { BACKENDS, getBackend, parseBackendList } from './backends/registry.js';
export { openTrace } from './trace/registry.js';
export { getRenderer } from './report/registry.js';
export { parseReport, type Report } from './report/schema.js';
export * from './errors.js';
