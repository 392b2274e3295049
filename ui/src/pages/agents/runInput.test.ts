import { describe, expect, it } from "vitest";

import type { JsonSchema } from "@/api/definition";
import { buildInput, formFields, initialValues, parseJsonInput } from "@/pages/agents/runInput";

const schema: JsonSchema = {
  type: "object",
  properties: {
    title: { type: "string", title: "Title", minLength: 3 },
    count: { type: "integer", minimum: 1, default: 2 },
    ratio: { type: ["number", "null"], maximum: 1 },
    urgent: { type: "boolean" },
    priority: { type: "string", enum: ["low", "high"] },
    tags: { type: "array", items: { type: "string" } },
    meta: { type: "object" },
  },
  required: ["title", "count"],
};

describe("run input form", () => {
  it("makes a field per property, with kinds, labels, required marks and defaults", () => {
    const fields = formFields(schema);
    expect(fields?.map((f) => [f.name, f.label, f.kind, f.required])).toEqual([
      ["title", "Title", "string", true],
      ["count", "Count", "integer", true],
      ["ratio", "Ratio", "number", false],
      ["urgent", "Urgent", "boolean", false],
      ["priority", "Priority", "enum", false],
      ["tags", "Tags", "json", false],
      ["meta", "Meta", "json", false],
    ]);
    expect(initialValues(fields!)).toMatchObject({ title: "", count: "2", urgent: false });
    expect(initialValues(fields!, { title: "Hi", meta: { a: 1 } })).toMatchObject({ title: "Hi", meta: '{\n  "a": 1\n}' });
  });

  it("falls back to JSON when the schema does not describe an object with properties", () => {
    expect(formFields(null)).toBeNull();
    expect(formFields({ type: "string" })).toBeNull();
    expect(formFields({ type: "object" })).toBeNull();
  });

  it("says what is wrong in sentences, field by field", () => {
    const fields = formFields(schema)!;
    expect(buildInput(fields, { title: "", count: "" }).errors).toEqual({ title: "Title is required.", count: "Count is required." });
    const bad = buildInput(fields, { title: "ab", count: "1.5", ratio: "2", tags: "[1", meta: "[]" }).errors;
    expect(bad).toEqual({
      title: "Title must be at least 3 characters.",
      count: "Count must be a whole number.",
      ratio: "Ratio must be at most 1.",
      tags: "Tags isn't valid JSON.",
      meta: 'Meta must be a JSON object, like {"key": "value"}.',
    });
    expect(buildInput(fields, { title: "abc", count: "0" }).errors.count).toBe("Count must be at least 1.");
    expect(buildInput(fields, { title: "abc", count: "x" }).errors.count).toBe("Count must be a number.");
  });

  it("builds typed input and leaves out optional fields left empty", () => {
    const fields = formFields(schema)!;
    const built = buildInput(fields, { title: "Release", count: "3", ratio: "", urgent: true, priority: "high", tags: '["a"]', meta: "" });
    expect(built.errors).toEqual({});
    expect(built.input).toEqual({ title: "Release", count: 3, urgent: true, priority: "high", tags: ["a"] });
  });

  it("parses the JSON editor's text", () => {
    expect(parseJsonInput('{"a": 1}')).toEqual({ input: { a: 1 } });
    expect(parseJsonInput("  ")).toEqual({ input: null });
    expect(parseJsonInput("{").error).toMatch(/^This isn't valid JSON yet/);
  });
});
