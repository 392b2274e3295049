import { describe, expect, it } from "vitest";

import { brokenReferences, isReferenceAvailable, referencesIn, referencesInValue, renameReferences } from "@/builder/references";
import { fileBugVariables } from "@/test/fixtures";

describe("references", () => {
  it("finds roots and paths, with filters and indexes", () => {
    expect(referencesIn("Hi {{ start.output.body.name | upper }} and {{items[0].id}}", "prompt")).toEqual([
      { text: "{{ start.output.body.name | upper }}", root: "start", path: "output.body.name", field: "prompt" },
      { text: "{{items[0].id}}", root: "items", path: "0.id", field: "prompt" },
    ]);
    expect(referencesInValue({ headers: { Authorization: "Bearer {{env.TOKEN}}" }, n: 3 }).map((r) => r.field)).toEqual([
      "headers.Authorization",
    ]);
  });

  it("checks references against the variables upstream", () => {
    const check = (text: string) => isReferenceAvailable(referencesIn(text)[0]!, fileBugVariables, "start");
    expect(check("{{classify.output.label}}")).toBe(true);
    expect(check("{{start.output.body.title}}")).toBe(true); // below an object: fine
    expect(check("{{trigger.output.body}}")).toBe(true); // `trigger` is the trigger's alias
    expect(check("{{classify.output.label.deeper}}")).toBe(false); // below a string: no
    expect(check("{{classify.output}}")).toBe(true); // the whole output
    expect(check("{{env.TRACKER_URL}}")).toBe(true);
    expect(check("{{env.MISSING}}")).toBe(false);
    expect(check("{{file_bug.output.status}}")).toBe(false); // itself, not upstream
    expect(brokenReferences({ url: "{{nope.output}}/{{execution.id}}" }, fileBugVariables, "start").map((r) => r.text)).toEqual([
      "{{nope.output}}",
    ]);
  });

  it("renames a root everywhere and keeps untouched objects identical", () => {
    const config = { prompt: "{{ classify.output.label }} {{classify_x.output}}", keep: { a: "{{other.output}}" } };
    const renamed = renameReferences(config, "classify", "triage") as typeof config;
    expect(renamed.prompt).toBe("{{ triage.output.label }} {{classify_x.output}}");
    expect(renamed.keep).toBe(config.keep);
    expect(renameReferences(config, "absent", "x")).toBe(config);
  });
});
