// zod compiles an object schema into a JavaScript function (new Function) on its first parse,
// which pays off over many parses of one schema. cdm-replay parses each of its objects once or a
// few times (config, knobs, the report): compiling made the report's one validation take ~20 ms,
// ~6 ms without. Passed to every parse (zod's per-parse `jitless`), so a host application that
// embeds the library keeps its own zod settings.
export const PARSE_ONCE = { jitless: true } as const;
