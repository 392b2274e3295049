import { describe, expect, it } from "vitest";

import type { NodeTypeInfo } from "@/api/definition";
import { defaultConfig } from "@/builder/defaults";
import { validateConfig } from "@/builder/validate";
import { catalog } from "@/test/fixtures";

const info = (type: string): NodeTypeInfo => catalog.find((entry) => entry.type === type)!;

describe("config validation from the catalog's JSON Schemas", () => {
  it("names missing required fields, bad enums, ranges and unknown fields by path", () => {
    const http = info("action.http");
    expect(validateConfig(http.type, http.config_schema, defaultConfig(http))).toEqual({ url: "Required." });
    expect(validateConfig(http.type, http.config_schema, { url: "https://x", method: "FETCH", timeout_seconds: 900, extra: 1 })).toEqual({
      method: "One of: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS.",
      timeout_seconds: "Must be <= 600.",
      "": "Unknown field “extra”.",
    });
    expect(validateConfig(http.type, http.config_schema, { url: "https://x", auth: { type: "oauth" } })).toHaveProperty(["auth.type"]);
  });

  it("accepts a complete config and nested lists", () => {
    const condition = info("logic.if");
    expect(validateConfig(condition.type, condition.config_schema, defaultConfig(condition))).toEqual({});
    expect(validateConfig(condition.type, condition.config_schema, { conditions: [{ left: "x" }] })).toEqual({ "conditions.0.op": "Required." });
  });

  it("gives every node type a starting config that names its required fields", () => {
    for (const entry of catalog) {
      const config = defaultConfig(entry);
      for (const field of entry.config_schema.required ?? []) expect(config).toHaveProperty([field]);
    }
  });
});
