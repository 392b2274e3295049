import { describe, expect, it } from "vitest";

import { highlightParts, queryTerms } from "@/pages/knowledge/highlight";

const marked = (text: string, query: string): string =>
  highlightParts(text, query)
    .map((part) => (part.hit ? `[${part.text}]` : part.text))
    .join("");

describe("query highlighting", () => {
  it("marks the query's words case-insensitively at word starts, keeping the text intact", () => {
    expect(marked("Refunds are issued within 14 days. A prefund is different.", "how do refund requests work?")).toBe(
      "[Refund]s are issued within 14 days. A prefund is different.",
    );
    expect(marked("Order SKU-4417-B ships from Lyon.", "sku-4417-b")).toBe("Order [SKU-4417-B] ships from Lyon.");
  });

  it("skips stop words and one-letter words, prefers the longest term, and handles any script", () => {
    expect(queryTerms("What is the reindex and reindexing of a KB?")).toEqual(["reindexing", "reindex", "kb"]);
    expect(marked("Reindexing rebuilds chunks", "reindex reindexing")).toBe("[Reindexing] rebuilds chunks");
    expect(marked("Die Rückgabe dauert zwei Tage", "rückgabe")).toBe("Die [Rückgabe] dauert zwei Tage");
  });

  it("leaves text alone for an empty query and ignores punctuation in the query", () => {
    expect(highlightParts("anything", "  ")).toEqual([{ text: "anything", hit: false }]);
    expect(marked("costs (net) are 5.00", "(net) 5.00")).toBe("costs ([net]) are 5.[00]");
  });
});
