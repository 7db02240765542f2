// Public face of the configuration layer (DESIGN §4a): schema, presets, loading, sizes.
export { configSchema, configJsonSchema, CONFIG_SCHEMA_ID, ADISTANCE_DRAM, zoneTypes } from './schema.js';
export type { Config, ConfigInput, NodeConfig, LinkConfig, KernelConfig, ZoneType } from './schema.js';
export { presets, findPreset, presetNames, DEFAULT_PRESET, type Preset } from './presets.js';
export { loadConfig, listPresets, readConfigFile, applySet, parseSetArg, parseSetValue } from './load.js';
export type { LoadOptions, LoadedConfig, PresetInfo } from './load.js';
export { parseSize, trySize, formatSize } from './size.js';
