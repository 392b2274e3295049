/** Split a chunk's text into the parts that match the query's words and the parts between, for <mark>. */

export interface TextPart {
  text: string;
  hit: boolean;
}

/** Words too common to be worth marking (they would light up every line). */
const STOP_WORDS = new Set(["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "is", "it", "of", "on", "or", "the", "to", "what", "when", "where", "which", "who", "why", "with"]);

/** The query's distinct words (letters and digits in any script, `-` and `_` kept inside codes), longest first. */
export function queryTerms(query: string): string[] {
  const words = query.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_-]*/gu) ?? [];
  const terms = new Set(words.map((word) => word.replace(/[-_]+$/, "")).filter((word) => word.length > 1 && !STOP_WORDS.has(word)));
  // Longest first, so "reindexing" is marked whole rather than as "index" + the rest.
  return [...terms].sort((a, b) => b.length - a.length);
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Case-insensitive matches of the query's words at word starts ("refund" marks "Refunds", not "prefund"). */
export function highlightParts(text: string, query: string): TextPart[] {
  const terms = queryTerms(query);
  if (terms.length === 0 || text === "") return [{ text, hit: false }];
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${terms.map(escape).join("|")})`, "giu");
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const start = match.index;
    if (start > last) parts.push({ text: text.slice(last, start), hit: false });
    parts.push({ text: match[0], hit: true });
    last = start + match[0].length;
  }
  if (last < text.length) parts.push({ text: text.slice(last), hit: false });
  return parts;
}
