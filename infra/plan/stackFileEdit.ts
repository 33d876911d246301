/** Edits of a `Pulumi.<stack>.yaml` that keep every other line as written (js-yaml would drop its comments). */

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The stack file's text with `key` set to `{ secure: ciphertext }` under `config:`, and `encryptionsalt` added when
 * new. Only the key's own entry (its line and the more-indented lines under it) is replaced.
 */
export function withSecret(text: string, key: string, ciphertext: string, newSalt?: string): string {
  const lines = text.split("\n");
  if (newSalt !== undefined) lines.unshift(`encryptionsalt: ${newSalt}`);
  let configAt = lines.findIndex((l) => /^config:\s*(#.*)?$/.test(l));
  if (configAt < 0) {
    if (lines.some((l) => /^config:/.test(l))) throw new Error("the file's `config:` is written inline; write it as a block mapping first");
    if (lines.at(-1) === "") lines.pop();
    lines.push("config:", "");
    configAt = lines.length - 2;
  }
  // The block ends at the next line indented less than its children (a top-level key); comments stay where they are.
  let end = configAt + 1;
  let indent = "  ";
  const first = lines.slice(configAt + 1).find((l) => /^\s+\S/.test(l) && !/^\s+#/.test(l));
  if (first) indent = /^(\s+)/.exec(first)![1]!;
  while (end < lines.length && (lines[end] === "" || /^\s/.test(lines[end]!))) end++;
  while (end > configAt + 1 && lines[end - 1] === "") end--;
  const entry = [`${indent}${key}:`, `${indent}${indent}secure: ${ciphertext}`];
  const keyLine = new RegExp(`^${escapeRegExp(indent)}["']?${escapeRegExp(key)}["']?:(\\s|$)`);
  const at = lines.findIndex((l, i) => i > configAt && i < end && keyLine.test(l));
  if (at >= 0) {
    let stop = at + 1;
    while (stop < end && (lines[stop] === "" || lines[stop]!.startsWith(indent + " ") || lines[stop]!.startsWith(indent + "\t"))) stop++;
    lines.splice(at, stop - at, ...entry);
  } else {
    lines.splice(end, 0, ...entry);
  }
  return lines.join("\n");
}
