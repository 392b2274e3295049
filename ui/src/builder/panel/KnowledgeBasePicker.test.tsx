import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import * as React from "react";
import { describe, expect, it } from "vitest";

import type { JsonObject } from "@/api/definition";
import { SchemaForm } from "@/builder/panel/SchemaForm";
import { catalog } from "@/test/fixtures";
import { knowledgeBase } from "@/test/knowledge";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const retrieve = catalog.find((entry) => entry.type === "knowledge.retrieve")!;

function Harness({ initial, onValue }: { initial: JsonObject; onValue: (value: JsonObject) => void }) {
  const [value, setValue] = React.useState(initial);
  return (
    <SchemaForm
      schema={retrieve.config_schema}
      value={value}
      errors={{}}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

describe("the knowledge node's config", () => {
  it("picks the knowledge base from the organization's list instead of a typed id", async () => {
    server.use(
      mock.get("/api/v1/knowledge-bases", () =>
        HttpResponse.json({ items: [knowledgeBase(), knowledgeBase({ id: "kb-2", name: "Product specs", document_count: 5 })], next_cursor: null }),
      ),
    );
    let last: JsonObject = {};
    renderPage(<Harness initial={{ query: "{{start.output.question}}" }} onValue={(v) => (last = v)} />);
    const select = await screen.findByLabelText(/^Knowledge base id/);
    await waitFor(() => expect(select.tagName).toBe("SELECT"));
    await waitFor(() => expect(screen.getByRole("option", { name: /Product specs · 5 docs/ })).toBeTruthy());
    await userEvent.selectOptions(select, "kb-2");
    expect(last).toEqual({ query: "{{start.output.question}}", knowledge_base_id: "kb-2" });
    expect(screen.getByRole("link", { name: "Open it" }).getAttribute("href")).toBe("/knowledge/kb-2");
    // The search mode comes from the node's schema: hybrid unless chosen.
    const mode = screen.getByLabelText("Mode") as HTMLSelectElement;
    expect([...mode.options].map((option) => option.text)).toEqual(["default (hybrid)", "hybrid", "vector", "keyword"]);
    await userEvent.selectOptions(mode, "keyword");
    expect(last.mode).toBe("keyword");
  });

  it("keeps an id that is not in the list visible and flags it", async () => {
    server.use(mock.get("/api/v1/knowledge-bases", () => HttpResponse.json({ items: [knowledgeBase()], next_cursor: null })));
    renderPage(<Harness initial={{ query: "q", knowledge_base_id: "kb-gone" }} onValue={() => {}} />);
    expect(await screen.findByText("This knowledge base does not exist in this organization.")).toBeTruthy();
    expect((screen.getByLabelText(/^Knowledge base id/) as HTMLSelectElement).value).toBe("kb-gone");
  });
});
