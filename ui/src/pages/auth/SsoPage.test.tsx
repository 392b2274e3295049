import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { session } from "@/api/http";
import { ssoAuthorizeUrl } from "@/api/sso";
import { appRoutes, createQueryClient } from "@/App";
import { ownerMe } from "@/test/render";
import { server } from "@/test/server";

beforeEach(() => session.set(null));
afterEach(() => vi.unstubAllGlobals());

describe("signing in with SSO", () => {
  it("builds the authorize URL from a slug or a work email", () => {
    expect(ssoAuthorizeUrl({ org: "acme" })).toBe("/api/v1/auth/sso/authorize?org=acme");
    expect(ssoAuthorizeUrl({ email: "ada@acme.com" })).toBe("/api/v1/auth/sso/authorize?email=ada%40acme.com");
  });

  it("sends the browser to the authorize URL of the org typed in", async () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, assign });
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/login"] });
    render(<RouterProvider router={router} />);
    await userEvent.click(await screen.findByRole("link", { name: "Sign in with SSO" }));
    await userEvent.type(await screen.findByLabelText("Organization slug or work email"), "Acme");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(assign).toHaveBeenCalledWith("/api/v1/auth/sso/authorize?org=acme");
  });

  it("explains a refused sign-in", async () => {
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/sso?error=sso_domain_not_allowed"] });
    render(<RouterProvider router={router} />);
    expect(await screen.findByText("Your email's domain is not one this organization signs in with SSO.")).toBeTruthy();
  });

  it("restores the session when the IdP's round trip completes", async () => {
    server.use(
      mock.post("/api/v1/auth/refresh", () =>
        HttpResponse.json({ access_token: "sso-token", expires_in: 900, token_type: "bearer", user: ownerMe.user, org: ownerMe.org, role: "viewer" }),
      ),
      mock.get("/api/v1/auth/me", () => HttpResponse.json(ownerMe)),
      mock.get("/api/v1/agents", () => HttpResponse.json({ items: [], next_cursor: null })),
      mock.get("/api/v1/notifications", () => HttpResponse.json({ items: [], next_cursor: null, unread_count: 0 })),
    );
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/sso/complete"] });
    render(<RouterProvider router={router} />);
    await waitFor(() => expect(router.state.location.pathname).toBe("/agents"));
    expect(session.token).toBe("sso-token");
  });

  it("offers SSO when a password is refused because the org enforces it", async () => {
    server.use(
      mock.post("/api/v1/auth/login", () =>
        HttpResponse.json(
          { error: { code: "sso_required", message: "Acme signs in through SSO", details: { org: "acme", sso_url: "/api/v1/auth/sso/authorize?org=acme" } } },
          { status: 403 },
        ),
      ),
    );
    const router = createMemoryRouter(appRoutes(createQueryClient()), { initialEntries: ["/login"] });
    render(<RouterProvider router={router} />);
    await userEvent.type(await screen.findByLabelText("Email"), "ada@acme.com");
    await userEvent.type(screen.getByLabelText("Password"), "whatever");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await userEvent.click(await screen.findByRole("link", { name: "Continue with SSO" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/sso"));
    expect((screen.getByLabelText("Organization slug or work email") as HTMLInputElement).value).toBe("acme");
  });
});
