import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import * as React from "react";
import { describe, expect, it } from "vitest";

import type { JsonObject, NodeType } from "@/api/definition";
import { parseLoose } from "@/builder/panel/editors";
import { SchemaForm } from "@/builder/panel/SchemaForm";
import { validateConfig } from "@/builder/validate";
import { catalog } from "@/test/fixtures";

function Harness({ type, initial, onValue }: { type: NodeType; initial: JsonObject; onValue: (value: JsonObject) => void }) {
  const info = catalog.find((entry) => entry.type === type)!;
  const [value, setValue] = React.useState(initial);
  return (
    <SchemaForm
      schema={info.config_schema}
      value={value}
      errors={validateConfig(type, info.config_schema, value)}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

describe("schema-generated config forms", () => {
  it("edits a list of conditions: add, fill, remove; operands keep their JSON types", async () => {
    let last: JsonObject = {};
    render(<Harness type="logic.if" initial={{ conditions: [{ left: "{{a.output.n}}", op: "gt", right: 3 }] }} onValue={(v) => (last = v)} />);
    expect((screen.getByLabelText("Right") as HTMLInputElement).value).toBe("3");
    await userEvent.click(screen.getByRole("button", { name: "Add condition" }));
    const lefts = screen.getAllByLabelText(/^Left/);
    fireEvent.change(lefts[1]!, { target: { value: "{{a.output.label}}" } });
    fireEvent.change(screen.getAllByLabelText(/^Right/)[1]!, { target: { value: "bug" } });
    expect(last.conditions).toEqual([
      { left: "{{a.output.n}}", op: "gt", right: 3 },
      { left: "{{a.output.label}}", op: "eq", right: "bug" },
    ]);
    await userEvent.click(screen.getByRole("button", { name: "Remove condition 1" }));
    expect(last.conditions).toEqual([{ left: "{{a.output.label}}", op: "eq", right: "bug" }]);
    await userEvent.selectOptions(screen.getByLabelText("Combine"), "any");
    expect(last.combine).toBe("any");
  });

  it("shows nested objects as fieldsets and enums as selects, with errors in place", async () => {
    let last: JsonObject = {};
    render(<Harness type="action.http" initial={{ url: "" }} onValue={(v) => (last = v)} />);
    expect(screen.getByText("Required.")).toBeTruthy();
    expect(screen.getByRole("group", { name: "Auth" })).toBeTruthy();
    await userEvent.selectOptions(screen.getByLabelText("Type"), "bearer");
    expect(last.auth).toEqual({ type: "bearer" });
    fireEvent.change(screen.getByLabelText(/^Timeout seconds/), { target: { value: "900" } });
    expect(screen.getByText("Must be <= 600.")).toBeTruthy();
    // A JSON body: applied while it parses, with the parse error shown otherwise.
    const body = screen.getByLabelText("Json");
    fireEvent.change(body, { target: { value: '{"title": "x"' } });
    expect(screen.getByText(/Invalid JSON/)).toBeTruthy();
    fireEvent.change(body, { target: { value: '{"title": "{{a.output.t}}"}' } });
    expect(last.json).toEqual({ title: "{{a.output.t}}" });
  });

  it("reads one-line values as JSON when they are JSON, else as text", () => {
    expect(parseLoose("42")).toBe(42);
    expect(parseLoose("true")).toBe(true);
    expect(parseLoose('["a", "b"]')).toEqual(["a", "b"]);
    expect(parseLoose("bug")).toBe("bug");
    expect(parseLoose("{{x.output}}")).toBe("{{x.output}}");
    expect(parseLoose('"3"')).toBe("3");
  });
});
