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

describe("API keys", () => {
  it("shows a new key once, then only its prefix", async () => {
    const keys: (typeof key)[] = [];
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

  it("tells viewers and editors that keys are for admins", async () => {
    renderPage(<ApiKeysSettings />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    expect(await screen.findByText("Only owners and admins manage API keys.")).toBeTruthy();
  });
});
