import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { AcceptInvitationPage } from "@/pages/auth/AcceptInvitationPage";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const preview = (accountExists: boolean) => ({
  email: "grace@example.com",
  role: "editor",
  org: { id: "o2", name: "Beta", slug: "beta" },
  expires_at: "2026-12-01T00:00:00Z",
  account_exists: accountExists,
});

describe("accepting an invitation", () => {
  it("asks a signed-in user with another email to sign out first", async () => {
    server.use(mock.get("/api/v1/invitations/tok", () => HttpResponse.json(preview(false))));
    renderPage(<AcceptInvitationPage />, { path: "/invitations/:token", url: "/invitations/tok" });
    expect(await screen.findByRole("heading", { name: "Join Beta" })).toBeTruthy();
    expect(screen.getByText(/You are signed in as ada@example.com/)).toBeTruthy();
    expect((screen.getByRole("button", { name: "Accept invitation" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("joins at once when signed in as the invitee", async () => {
    let body: unknown = null;
    server.use(
      mock.get("/api/v1/invitations/tok", () => HttpResponse.json(preview(true))),
      mock.post("/api/v1/invitations/tok/accept", async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ access_token: "t2", expires_in: 900, token_type: "bearer", user: {}, org: {}, role: "editor" });
      }),
    );
    const me = { ...ownerMe, user: { ...ownerMe.user, email: "grace@example.com" } };
    const { router } = renderPage(<AcceptInvitationPage />, { path: "/invitations/:token", url: "/invitations/tok", me });
    await userEvent.click(await screen.findByRole("button", { name: "Accept invitation" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/agents"));
    expect(body).toEqual({ full_name: "" });
    expect(screen.queryByLabelText(/password/i)).toBeNull();
  });
});
