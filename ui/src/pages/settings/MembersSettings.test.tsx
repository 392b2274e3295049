import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { MembersSettings } from "@/pages/settings/MembersSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const grace = {
  user: { id: "u2", email: "grace@example.com", full_name: "Grace Hopper", created_at: "2026-01-01T00:00:00Z" },
  role: "editor",
  joined_at: "2026-01-05T00:00:00Z",
};

describe("members", () => {
  it("invites, changes a role and removes a member", async () => {
    const calls: string[] = [];
    server.use(
      mock.get("/api/v1/org/members", () =>
        HttpResponse.json({ items: [{ user: ownerMe.user, role: "owner", joined_at: "2026-01-01T00:00:00Z" }, grace], next_cursor: null }),
      ),
      mock.get("/api/v1/org/invitations", () => HttpResponse.json({ items: [], next_cursor: null })),
      mock.post("/api/v1/org/members/invite", async ({ request }) => {
        calls.push(`invite ${JSON.stringify(await request.json())}`);
        return HttpResponse.json(
          { id: "i1", email: "new@example.com", role: "viewer", created_at: "", expires_at: "", invited_by: "u1", token: "t", accept_url: "http://x/invitations/t", email_sent: true },
          { status: 201 },
        );
      }),
      mock.put("/api/v1/org/members/u2/role", async ({ request }) => {
        calls.push(`role ${JSON.stringify(await request.json())}`);
        return HttpResponse.json({ ...grace, role: "admin" });
      }),
      mock.delete("/api/v1/org/members/u2", () => {
        calls.push("remove");
        return new HttpResponse(null, { status: 204 });
      }),
    );
    renderPage(<MembersSettings />);
    const table = await screen.findByRole("table", { name: "Members" });
    // You cannot change your own role here; others' roles are a select.
    expect(within(table).queryByRole("combobox", { name: "Role of ada@example.com" })).toBeNull();
    await userEvent.selectOptions(within(table).getByRole("combobox", { name: "Role of grace@example.com" }), "admin");
    await waitFor(() => expect(calls).toContain('role {"role":"admin"}'));

    await userEvent.click(screen.getByRole("button", { name: "Invite member" }));
    await userEvent.type(screen.getByLabelText("Email"), "new@example.com");
    await userEvent.selectOptions(screen.getByLabelText("Role"), "viewer");
    await userEvent.click(screen.getByRole("button", { name: "Send invitation" }));
    expect(((await screen.findByLabelText("Invitation link")) as HTMLInputElement).value).toBe("http://x/invitations/t");
    expect(calls).toContain('invite {"email":"new@example.com","role":"viewer"}');
    await userEvent.click(screen.getByRole("button", { name: "Done" }));

    await userEvent.click(within(table).getByRole("button", { name: "Remove" }));
    await userEvent.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Remove" }));
    await waitFor(() => expect(calls).toContain("remove"));
  });
});
