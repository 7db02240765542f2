// zod compiles a schema into a JavaScript function (new Function) on its first parse, which pays
// off over many parses of one schema. A replay parses a handful of objects once each (config,
// knobs, the report): compiling made the report's one validation take ~20 ms, jitless ~6 ms.
// Imported first by every entry point (CLI, library, workers), before any schema is used.
import { config } from 'zod';

config({ jitless: true });
