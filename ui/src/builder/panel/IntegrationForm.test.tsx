import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import * as React from "react";
import { describe, expect, it } from "vitest";

import type { JsonObject } from "@/api/definition";
import { IntegrationForm } from "@/builder/panel/IntegrationForm";
import { connection, integrationAction } from "@/test/integrations";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

function Harness({ initial, onValue }: { initial: JsonObject; onValue: (value: JsonObject) => void }) {
  const [value, setValue] = React.useState(initial);
  return (
    <IntegrationForm
      config={value}
      errors={{}}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

const listIssues = integrationAction({
  name: "list_issues",
  side_effect: false,
  params_schema: { type: "object", properties: { repo: { type: "string" }, per_page: { type: ["string", "number", "integer", "boolean"] } }, required: ["repo"] },
});

describe("the integration node's form", () => {
  it("picks a connection and an action, then renders the action's params schema as typed fields", async () => {
    server.use(
      mock.get("/api/v1/integrations", () =>
        HttpResponse.json([connection({ actions: [integrationAction(), listIssues] }), connection({ id: "conn-2", name: "Ops Slack", provider: "slack", actions: [] })]),
      ),
    );
    let last: JsonObject = {};
    renderPage(<Harness initial={{ integration: "github", action: "", params: {} }} onValue={(v) => (last = v)} />);
    const connectionSelect = await screen.findByLabelText(/^Connection/);
    await waitFor(() => expect(screen.getByRole("option", { name: /Ops Slack/ })).toBeTruthy());
    await userEvent.selectOptions(connectionSelect, "conn-1");
    expect(last).toMatchObject({ integration: "github", connection_id: "conn-1", action: "", params: {} });

    await userEvent.selectOptions(screen.getByLabelText(/^Action/), "create_issue");
    expect(screen.getByText("side effect")).toBeTruthy();
    // Required params left empty are flagged before publishing.
    expect(screen.getAllByText("Required.")).toHaveLength(2);

    fireEvent.change(screen.getByLabelText(/^Repo/), { target: { value: "octo/app" } });
    fireEvent.change(screen.getByLabelText(/^Title/), { target: { value: "Bug: {{trigger.input.subject}}" } });
    await userEvent.click(screen.getByLabelText("Draft"));
    fireEvent.change(screen.getByLabelText("Priority"), { target: { value: "3" } });
    await userEvent.selectOptions(screen.getByLabelText("State"), "closed");
    fireEvent.change(screen.getByLabelText("Labels"), { target: { value: "bug\nui" } });
    // Text params take references through the variable picker.
    expect(screen.getAllByRole("button", { name: "Insert variable" }).length).toBeGreaterThanOrEqual(2);
    expect(screen.queryByText("Required.")).toBeNull();
    expect(last).toEqual({
      integration: "github",
      connection_id: "conn-1",
      action: "create_issue",
      params: { repo: "octo/app", title: "Bug: {{trigger.input.subject}}", draft: true, priority: 3, state: "closed", labels: ["bug", "ui"] },
    });

    // Another action starts with empty params; a scalar union keeps numbers as numbers.
    await userEvent.selectOptions(screen.getByLabelText(/^Action/), "list_issues");
    expect(last.params).toEqual({});
    fireEvent.change(screen.getByLabelText("Per page"), { target: { value: "50" } });
    expect(last.params).toEqual({ per_page: 50 });
  });

  it("says when the configured connection is gone, and links to Integrations when nothing is connected", async () => {
    server.use(mock.get("/api/v1/integrations", () => HttpResponse.json([])));
    renderPage(<Harness initial={{ integration: "github", connection_id: "gone", action: "create_issue", params: {} }} onValue={() => undefined} />);
    expect(await screen.findByText("This connection no longer exists: pick another.")).toBeTruthy();
    expect(screen.getByRole("link", { name: "Connect one" }).getAttribute("href")).toBe("/integrations");
  });
});
