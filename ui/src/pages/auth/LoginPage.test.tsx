import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { createMemoryRouter, RouterProvider } from "react-router";
import { render } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { session } from "@/api/http";
import { appRoutes, createQueryClient } from "@/App";
import { redirectTarget } from "@/pages/auth/LoginPage";
import { ownerMe } from "@/test/render";
import { server } from "@/test/server";

beforeEach(() => session.set(null));

describe("signing in", () => {
  it("sends signed-out visitors to /login and back to where they were going", async () => {
    server.use(
      mock.post("/api/v1/auth/login", async ({ request }) => {
        expect(await request.json()).toEqual({ email: "ada@example.com", password: "correct horse battery" });
        return HttpResponse.json({ access_token: "t1", expires_in: 900, token_type: "bearer", user: ownerMe.user, org: ownerMe.org, role: "owner" });
      }),
      mock.get("/api/v1/auth/me", () => HttpResponse.json(ownerMe)),
      mock.get("/api/v1/org/api-keys", () => HttpResponse.json({ items: [], next_cursor: null })),
      // The app shell's bell.
      mock.get("/api/v1/notifications", () => HttpResponse.json({ items: [], next_cursor: null, unread_count: 0 })),
    );
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/settings/api-keys"] });
    render(<RouterProvider router={router} />);
    await waitFor(() => expect(router.state.location.pathname).toBe("/login"));
    await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "correct horse battery");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/settings/api-keys"));
    expect(await screen.findByText("No API keys yet")).toBeTruthy();
    expect(session.token).toBe("t1");
  });

  it("shows the API's message for bad credentials", async () => {
    server.use(
      mock.post("/api/v1/auth/login", () =>
        HttpResponse.json({ error: { code: "invalid_credentials", message: "Wrong email or password" } }, { status: 401 }),
      ),
    );
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/login"] });
    render(<RouterProvider router={router} />);
    await userEvent.type(await screen.findByLabelText("Email"), "ada@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "nope");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByText("Wrong email or password")).toBeTruthy();
  });

  it("only redirects to paths inside the app", () => {
    expect(redirectTarget({ from: "/agents/1" })).toBe("/agents/1");
    expect(redirectTarget({ from: "//evil.example.com" })).toBe("/agents");
    expect(redirectTarget({ from: "https://evil.example.com" })).toBe("/agents");
    expect(redirectTarget(null)).toBe("/agents");
  });
});
