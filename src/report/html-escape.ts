// Escaping for the HTML report. Every string that can come from a trace or a config (paths, comm
// and file names, memcg paths, backend labels) passes through one of these before it reaches the
// page, so a hostile name renders as text and never as markup or script.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element body or a quoted attribute value. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * JSON to embed in `<script type="application/json">`: `<`, `>` and `&` become \u escapes (no
 * `</script>` or `<!--` can end or alter the block) and so do U+2028/U+2029 (line terminators in
 * older JavaScript). JSON.parse reads it back unchanged.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
