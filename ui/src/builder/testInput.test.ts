import { describe, expect, it } from "vitest";

import type { JsonObject } from "@/api/definition";
import { inputProblems, sampleFromSchema, sampleInput } from "@/builder/testInput";

const ticket: JsonObject = {
  type: "object",
  properties: {
    text: { type: "string", minLength: 3 },
    priority: { type: "string", enum: ["low", "high"] },
    count: { type: "integer", minimum: 1 },
    urgent: { type: "boolean" },
    tags: { type: "array", items: { type: "string" } },
    customer: { type: "object", properties: { email: { type: "string", default: "ada@example.com" } } },
    note: { anyOf: [{ type: "null" }, { type: "string" }] },
  },
  required: ["text", "count"],
};

describe("sample input", () => {
  it("generates a value that fits each property of the schema", () => {
    expect(sampleFromSchema(ticket)).toEqual({
      text: "example",
      priority: "low",
      count: 1,
      urgent: false,
      tags: [],
      customer: { email: "ada@example.com" },
      note: "example",
    });
    expect(sampleFromSchema({ type: "string", minLength: 10 })).toBe("examplexxx");
    expect(sampleFromSchema({ type: "number", exclusiveMinimum: 0 })).toBe(1);
    expect(sampleFromSchema({ type: "string", examples: ["hi"] })).toBe("hi");
  });

  it("gives manual and API triggers the schema's sample, and an empty object without a schema", () => {
    expect(sampleInput({ kind: "manual", input_schema: ticket })).toMatchObject({ text: "example", count: 1 });
    expect(sampleInput({ kind: "api" })).toEqual({});
    expect(inputProblems({ kind: "manual", input_schema: ticket }, sampleInput({ kind: "manual", input_schema: ticket }))).toEqual([]);
  });

  it("gives webhook triggers the delivery's shape, with the sample as the body", () => {
    const trigger = { kind: "webhook", input_schema: ticket };
    const input = sampleInput(trigger) as JsonObject;
    expect(Object.keys(input)).toEqual(["body", "headers", "query"]);
    expect(input.body).toMatchObject({ text: "example", count: 1 });
    expect(inputProblems(trigger, input)).toEqual([]);
    expect(sampleInput({ kind: "webhook" })).toEqual({ body: {}, headers: { "content-type": "application/json" }, query: {} });
  });

  it("says in sentences where the input does not match, before the run", () => {
    const trigger = { kind: "webhook", input_schema: ticket };
    expect(inputProblems(trigger, { body: { text: "hi", count: 0 }, headers: {}, query: {} })).toEqual([
      "body.text must be at least 3 characters long.",
      "body.count must be at least 1.",
    ]);
    expect(inputProblems(trigger, { text: "crash", count: 2 })).toEqual([
      "A webhook run's input is the delivery: an object with body, headers and query.",
    ]);
    expect(inputProblems({ kind: "manual", input_schema: ticket }, { count: "2" })).toEqual([
      "count must be a whole number.",
      "The input needs “text”.",
    ]);
  });
});
