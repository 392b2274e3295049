import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it, vi } from "vitest";

import { OrganizationSettings } from "@/pages/settings/OrganizationSettings";
import { OrgGovernanceCards } from "@/pages/settings/OrgGovernanceSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const org = {
  id: "o1",
  slug: "acme",
  name: "Acme",
  plan: "free",
  data_region: "eu",
  settings: { timezone: "UTC" } as Record<string, unknown>,
  retention_purge_from: null as string | null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

function serveOrg(onPut: (body: { settings: Record<string, unknown> }) => Response | Promise<Response>) {
  let current = { ...org, settings: { ...org.settings } };
  const bodies: unknown[] = [];
  server.use(
    mock.get("/api/v1/org", () => HttpResponse.json(current)),
    mock.put("/api/v1/org", async ({ request }) => {
      const body = (await request.json()) as { settings: Record<string, unknown> };
      bodies.push(body);
      const response = await onPut(body);
      if (response.ok) current = (await response.clone().json()) as typeof current;
      return response;
    }),
  );
  return { bodies, get current() { return current; } };
}

const saved = (settings: Record<string, unknown>, extra: Partial<typeof org> = {}) =>
  HttpResponse.json({ ...org, ...extra, settings: { ...org.settings, ...settings } });

describe("Organization governance settings", () => {
  it("shows the lock-out refusal with the caller's address, adds it and saves", async () => {
    const api = serveOrg(({ settings }) => {
      const list = settings.ip_allowlist as string[];
      if (!list.includes("198.51.100.9")) {
        return HttpResponse.json(
          { error: { code: "would_lock_out", message: "This IP allowlist does not include your address (198.51.100.9): saving it would lock you out. Add your address or range first.", details: { your_ip: "198.51.100.9" } } },
          { status: 409 },
        );
      }
      return saved({ ip_allowlist: list });
    });
    renderPage(<OrgGovernanceCards />);
    await userEvent.type(await screen.findByLabelText("Allowed addresses"), "203.0.113.0/24");
    await userEvent.click(screen.getByRole("button", { name: "Save allowlist" }));
    expect(await screen.findByText(/would lock you out/)).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Add my address (198.51.100.9)" }));
    expect((screen.getByLabelText("Allowed addresses") as HTMLTextAreaElement).value).toBe("203.0.113.0/24\n198.51.100.9");
    await userEvent.click(screen.getByRole("button", { name: "Save allowlist" }));
    expect(await screen.findByText("In force: 2 entries.")).toBeTruthy();
    expect(api.bodies).toEqual([
      { settings: { ip_allowlist: ["203.0.113.0/24"] } },
      { settings: { ip_allowlist: ["203.0.113.0/24", "198.51.100.9"] } },
    ]);
  });

  it("shows the API's message for a bad CIDR, and removes the list when emptied", async () => {
    const api = serveOrg(({ settings }) => {
      const list = settings.ip_allowlist as string[] | null;
      if (list?.includes("10.0.0.300/8")) {
        return HttpResponse.json(
          { error: { code: "validation_error", message: "Invalid request: settings.ip_allowlist: Value error, '10.0.0.300/8' is not an IP address or CIDR range", details: [] } },
          { status: 422 },
        );
      }
      return saved({ ip_allowlist: list });
    });
    renderPage(<OrgGovernanceCards />);
    const box = await screen.findByLabelText("Allowed addresses");
    await userEvent.type(box, "10.0.0.300/8");
    await userEvent.click(screen.getByRole("button", { name: "Save allowlist" }));
    expect(await screen.findByText(/'10.0.0.300\/8' is not an IP address or CIDR range/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Add my address/ })).toBeNull();
    await userEvent.clear(box);
    await userEvent.type(box, "2001:db8::/32");
    await userEvent.click(screen.getByRole("button", { name: "Save allowlist" }));
    expect(await screen.findByText("In force: 1 entry.")).toBeTruthy();
    await userEvent.clear(screen.getByLabelText("Allowed addresses"));
    await userEvent.click(screen.getByRole("button", { name: "Save allowlist" }));
    expect(await screen.findByText(/Not restricted/)).toBeTruthy();
    expect(api.bodies.at(-1)).toEqual({ settings: { ip_allowlist: null } });
  });

  it("sets a retention period, shows when the first purge runs, and goes back to unlimited", async () => {
    const api = serveOrg(({ settings }) =>
      settings.retention_days
        ? saved({ retention_days: settings.retention_days }, { retention_purge_from: "2026-01-08T00:00:00Z" })
        : saved({}),
    );
    renderPage(<OrgGovernanceCards />);
    const select = await screen.findByLabelText("Keep executions for");
    expect((select as HTMLSelectElement).value).toBe("unlimited");
    await userEvent.selectOptions(select, "90");
    await userEvent.click(screen.getByRole("button", { name: "Save retention" }));
    expect(await screen.findByText(/Nothing is deleted under this setting before/)).toBeTruthy();
    expect(api.bodies).toEqual([{ settings: { retention_days: 90 } }]);
    await userEvent.selectOptions(screen.getByLabelText("Keep executions for"), "unlimited");
    await userEvent.click(screen.getByRole("button", { name: "Save retention" }));
    await vi.waitFor(() => expect(screen.queryByText(/Nothing is deleted under this setting/)).toBeNull());
    expect(api.bodies.at(-1)).toEqual({ settings: { retention_days: null } });
  });

  it("shows the data region read-only, and nothing editable to members without org:update", async () => {
    serveOrg(() => saved({}));
    server.use(mock.get("/api/v1/org/sso", () => HttpResponse.json({ available: false })));
    renderPage(<OrganizationSettings />, { me: { ...ownerMe, role: "viewer", permissions: ["org:read"] } });
    const region = (await screen.findByLabelText("Data region")) as HTMLInputElement;
    expect(region.value).toBe("European Union (eu)");
    expect(region.disabled).toBe(true);
    expect(((await screen.findByLabelText("Allowed addresses")) as HTMLTextAreaElement).disabled).toBe(true);
    expect(screen.queryByRole("button", { name: "Save allowlist" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Save retention" })).toBeNull();
  });
});
