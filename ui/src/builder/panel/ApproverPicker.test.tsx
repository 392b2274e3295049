import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import * as React from "react";
import { describe, expect, it } from "vitest";

import type { JsonObject } from "@/api/definition";
import type { Member } from "@/api/org";
import type { TeamDetail } from "@/api/teams";
import { SchemaForm } from "@/builder/panel/SchemaForm";
import { catalog } from "@/test/fixtures";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const approval = catalog.find((entry) => entry.type === "human.approval")!;
const grace: Member = {
  user: { id: "u2", email: "grace@example.com", full_name: "Grace Hopper", created_at: "2026-01-01T00:00:00Z" },
  role: "editor",
  joined_at: "2026-01-05T00:00:00Z",
};
const support: TeamDetail = { id: "t1", name: "Support", description: "", created_at: "2026-01-01T00:00:00Z", members: [ownerMe.user, grace.user] };

function Harness({ initial, onValue }: { initial: JsonObject; onValue: (value: JsonObject) => void }) {
  const [value, setValue] = React.useState(initial);
  return (
    <SchemaForm
      schema={approval.config_schema}
      value={value}
      errors={{}}
      onChange={(next) => {
        setValue(next);
        onValue(next);
      }}
    />
  );
}

describe("the approval node's approvers", () => {
  it("are picked by name from people, roles and teams, and stored as ids and roles", async () => {
    server.use(
      mock.get("/api/v1/org/members", () =>
        HttpResponse.json({ items: [{ user: ownerMe.user, role: "owner", joined_at: "2026-01-01T00:00:00Z" }, grace], next_cursor: null }),
      ),
      mock.get("/api/v1/teams", () => HttpResponse.json({ items: [support], next_cursor: null })),
      mock.get("/api/v1/teams/t1", () => HttpResponse.json(support)),
    );
    let last: JsonObject = {};
    renderPage(<Harness initial={{ message: "Ship it?", approvers: ["u2"] }} onValue={(v) => (last = v)} />);
    const picker = await screen.findByTestId("approver-picker");
    // A stored id shows as the person's name.
    const chosen = within(picker).getByRole("list", { name: "Approvers" });
    await within(chosen).findByText("Grace Hopper");

    const search = within(picker).getByRole("searchbox");
    await userEvent.type(search, "admin");
    await userEvent.click(within(picker).getByRole("button", { name: /^Admins and owners/ }));
    expect(last.approvers).toEqual(["u2", "role:admin"]);

    // A team adds its people (once each).
    await userEvent.type(search, "supp");
    await userEvent.click(within(picker).getByRole("button", { name: /^Support/ }));
    await waitFor(() => expect(last.approvers).toEqual(["u2", "role:admin", "u1"]));
    expect(within(chosen).getByText("Ada Lovelace")).toBeTruthy();

    // Nothing left: the field is removed (any editor decides), never saved as an empty list.
    for (const name of ["Grace Hopper", "Admins and owners", "Ada Lovelace"]) {
      await userEvent.click(within(picker).getByRole("button", { name: `Remove ${name}` }));
    }
    expect(last.approvers).toBeUndefined();
    expect(within(picker).getByText(/any editor of the agent can decide/)).toBeTruthy();
  }, 30_000);
});
