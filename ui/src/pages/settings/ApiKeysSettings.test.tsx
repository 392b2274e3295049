import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { ApiKeysSettings } from "@/pages/settings/ApiKeysSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const key = {
  id: "k1",
  name: "CI pipeline",
  prefix: "af_abc123",
  scopes: ["agents:read"],
  created_at: "2026-01-01T00:00:00Z",
  created_by: "u1",
  expires_at: null,
  last_used_at: null,
};

const builtin = (name: string) => ({ id: null, name, permissions: ["agents:read"], description: "", builtin: true, created_at: null, updated_at: null });
const roles = [
  ...["owner", "admin", "editor", "viewer"].map(builtin),
  {
    id: "r1",
    name: "Support agent",
    permissions: ["agents:read", "agents:execute"],
    description: "Runs the support agents",
    builtin: false,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T00:00:00Z",
  },
];

function serveRoles() {
  server.use(mock.get("/api/v1/org/roles", () => HttpResponse.json({ items: roles, next_cursor: null })));
}

describe("API keys", () => {
  it("shows a new key once, then only its prefix", async () => {
    const keys: (typeof key)[] = [];
    serveRoles();
    server.use(
      mock.get("/api/v1/org/api-keys", () => HttpResponse.json({ items: keys, next_cursor: null })),
      mock.post("/api/v1/org/api-keys", async ({ request }) => {
        expect(await request.json()).toEqual({ name: "CI pipeline", expires_in_days: 30 });
        keys.push(key);
        return HttpResponse.json({ ...key, key: "af_abc123_full_secret" }, { status: 201 });
      }),
    );
    renderPage(<ApiKeysSettings />);
    expect(await screen.findByText("No API keys yet")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Create API key" }));
    await userEvent.type(screen.getByLabelText("Name"), "CI pipeline");
    await userEvent.type(screen.getByLabelText("Expires after (days)"), "30");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(((await screen.findByTestId("new-api-key")) as HTMLInputElement).value).toBe("af_abc123_full_secret");
    expect(screen.getByText(/shown only once/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "I have stored it" }));
    const table = await screen.findByRole("table", { name: "API keys" });
    expect(within(table).getByText("af_abc123…")).toBeTruthy();
    expect(document.body.textContent).not.toContain("full_secret");
  });

  it("creates a key with a custom role and its own rate limit", async () => {
    const keys: (typeof key & { role?: string; rate_limit_per_minute?: number })[] = [];
    serveRoles();
    server.use(
      mock.get("/api/v1/org/api-keys", () => HttpResponse.json({ items: keys, next_cursor: null })),
      mock.post("/api/v1/org/api-keys", async ({ request }) => {
        expect(await request.json()).toEqual({ name: "Support bot", expires_in_days: null, role: "Support agent", rate_limit_per_minute: 120 });
        const made = { ...key, name: "Support bot", scopes: ["agents:read", "agents:execute"], role: "Support agent", rate_limit_per_minute: 120 };
        keys.push(made);
        return HttpResponse.json({ ...made, key: "af_abc123_other_secret" }, { status: 201 });
      }),
    );
    renderPage(<ApiKeysSettings />);
    await userEvent.click(await screen.findByRole("button", { name: "Create API key" }));
    await userEvent.type(screen.getByLabelText("Name"), "Support bot");
    const picker = screen.getByLabelText("Permissions");
    // Custom roles are offered next to the built-in ones once they load.
    await within(picker).findByRole("option", { name: "Support agent" });
    expect(within(picker).getByRole("option", { name: "viewer" })).toBeTruthy();
    await userEvent.selectOptions(picker, "Support agent");
    await userEvent.type(screen.getByLabelText("Rate limit per minute"), "120");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    await screen.findByTestId("new-api-key");
    await userEvent.click(screen.getByRole("button", { name: "I have stored it" }));
    const table = await screen.findByRole("table", { name: "API keys" });
    expect(within(table).getByText("role: Support agent")).toBeTruthy();
    expect(within(table).getByText("120/min")).toBeTruthy();
  }, 30_000);

  it("shows the API's refusal of a role above the creator's", async () => {
    serveRoles();
    server.use(
      mock.get("/api/v1/org/api-keys", () => HttpResponse.json({ items: [], next_cursor: null })),
      mock.post("/api/v1/org/api-keys", () =>
        HttpResponse.json({ error: { code: "forbidden", message: "A key cannot carry permissions you do not hold", details: null } }, { status: 403 }),
      ),
    );
    renderPage(<ApiKeysSettings />);
    await userEvent.click(await screen.findByRole("button", { name: "Create API key" }));
    await userEvent.type(screen.getByLabelText("Name"), "Too strong");
    await within(screen.getByLabelText("Permissions")).findByRole("option", { name: "owner" });
    await userEvent.selectOptions(screen.getByLabelText("Permissions"), "owner");
    await userEvent.click(screen.getByRole("button", { name: "Create key" }));
    expect(await screen.findByText("A key cannot carry permissions you do not hold")).toBeTruthy();
  });

  it("tells viewers and editors that keys are for admins", async () => {
    renderPage(<ApiKeysSettings />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    expect(await screen.findByText("Only owners and admins manage API keys.")).toBeTruthy();
  });
});
