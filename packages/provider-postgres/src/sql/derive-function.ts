/**
 * Later migrations re-create a function from an earlier migration's text with a few lines changed, since
 * an applied migration is never edited. These helpers find that text and apply the changes, failing loudly
 * (naming the migration) when the earlier text no longer reads as expected.
 */

/** The `<header>… $fn$;` block (one whole function definition) of an earlier migration's SQL. */
export function extractFunction(migration: number, all: string, header: string): string {
  const start = all.indexOf(header);
  const end = all.indexOf('$fn$;', start);
  if (start < 0 || end < 0) throw new Error(`migration ${migration}: '${header}' was not found`);
  return all.slice(start, end + '$fn$;'.length);
}

/** Replaces each `[from, to]` in `fn`, where every `from` must occur exactly once. */
export function applyEdits(
  migration: number,
  fn: string,
  edits: readonly (readonly [string, string])[],
): string {
  let out = fn;
  for (const [from, to] of edits) {
    if (out.split(from).length !== 2)
      throw new Error(`migration ${migration}: '${from}' was not found exactly once`);
    out = out.replace(from, to);
  }
  return out;
}
