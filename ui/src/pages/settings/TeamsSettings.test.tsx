import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { Member } from "@/api/org";
import type { TeamDetail } from "@/api/teams";
import { TeamsSettings } from "@/pages/settings/TeamsSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const owner = { ...ownerMe, permissions: [...ownerMe.permissions, "teams:read", "teams:write"] } as typeof ownerMe;
const grace: Member = {
  user: { id: "u2", email: "grace@example.com", full_name: "Grace Hopper", created_at: "2026-01-01T00:00:00Z" },
  role: "editor",
  joined_at: "2026-01-05T00:00:00Z",
};

describe("teams", () => {
  it("creates, renames, fills and deletes a team", async () => {
    const calls: string[] = [];
    let team: TeamDetail | null = null;
    server.use(
      mock.get("/api/v1/teams", () => HttpResponse.json({ items: team ? [team] : [], next_cursor: null })),
      mock.post("/api/v1/teams", async ({ request }) => {
        const body = (await request.json()) as { name: string; description: string };
        calls.push(`create ${JSON.stringify(body)}`);
        team = { id: "t1", created_at: "2026-01-01T00:00:00Z", members: [], ...body };
        return HttpResponse.json(team, { status: 201 });
      }),
      mock.put("/api/v1/teams/t1", async ({ request }) => {
        const body = (await request.json()) as { name: string };
        calls.push(`rename ${body.name}`);
        team = { ...team!, name: body.name };
        return HttpResponse.json(team);
      }),
      mock.get("/api/v1/teams/t1", () => HttpResponse.json(team)),
      mock.get("/api/v1/org/members", () => HttpResponse.json({ items: [grace], next_cursor: null })),
      mock.post("/api/v1/teams/t1/members", async ({ request }) => {
        calls.push(`add ${JSON.stringify(await request.json())}`);
        team = { ...team!, members: [grace.user] };
        return HttpResponse.json(team);
      }),
      mock.delete("/api/v1/teams/t1/members/u2", () => {
        calls.push("remove u2");
        team = { ...team!, members: [] };
        return new HttpResponse(null, { status: 204 });
      }),
      mock.delete("/api/v1/teams/t1", () => {
        calls.push("delete");
        team = null;
        return new HttpResponse(null, { status: 204 });
      }),
    );
    renderPage(<TeamsSettings />, { me: owner });
    await screen.findByText("No teams yet");
    await userEvent.click(screen.getByRole("button", { name: "Create team" }));
    await userEvent.type(screen.getByLabelText("Name"), "Support");
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create" }));
    const table = await screen.findByRole("table", { name: "Teams" });
    expect(calls).toContain(`create ${JSON.stringify({ name: "Support", description: "" })}`);

    await userEvent.click(within(table).getByRole("button", { name: "Rename" }));
    const name = screen.getByLabelText("Name");
    await userEvent.clear(name);
    await userEvent.type(name, "Customer Support");
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Save" }));
    await within(table).findByText("Customer Support");

    await userEvent.click(within(table).getByRole("button", { name: "Members" }));
    await userEvent.selectOptions(await screen.findByLabelText("Add a member"), "u2");
    await userEvent.click(screen.getByRole("button", { name: "Add" }));
    const members = await screen.findByRole("table", { name: "Members of Customer Support" });
    expect(within(members).getByText("Grace Hopper")).toBeTruthy();
    await userEvent.click(within(members).getByRole("button", { name: "Remove Grace Hopper from Customer Support" }));
    await screen.findByText("Nobody is in this team yet.");

    await userEvent.click(within(table).getByRole("button", { name: "Delete" }));
    await userEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Delete" }));
    await screen.findByText("No teams yet");
    await waitFor(() => expect(calls).toEqual([`create ${JSON.stringify({ name: "Support", description: "" })}`, "rename Customer Support", 'add {"user_id":"u2"}', "remove u2", "delete"]));
  }, 30_000);
});
