import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ExportsSettings } from "@/pages/settings/ExportsSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const exporter = { ...ownerMe, permissions: [...ownerMe.permissions, "exports:create" as const] };

const pending = {
  id: "x1",
  kind: "audit_logs",
  format: "json",
  from: "2026-01-01T00:00:00Z",
  to: "2026-01-31T00:00:00Z",
  status: "pending",
  row_count: null as number | null,
  size_bytes: null as number | null,
  error: null,
  requested_by: "u1",
  created_at: "2026-02-01T00:00:00Z",
  finished_at: null as string | null,
  expires_at: null as string | null,
  downloadable: false,
};

afterEach(() => vi.restoreAllMocks());

describe("Exports", () => {
  it("creates an export, follows it until it is ready and downloads it through a fresh link", async () => {
    const items: (typeof pending)[] = [];
    let polls = 0;
    server.use(
      mock.get("/api/v1/exports", () => {
        // The flow run finishes the file after a couple of polls.
        if (items[0] && ++polls >= 3) {
          items[0] = { ...items[0], status: "succeeded", row_count: 42, size_bytes: 2048, finished_at: "2026-02-01T00:01:00Z", expires_at: "2099-01-01T00:00:00Z", downloadable: true };
        } else if (items[0] && polls === 2) {
          items[0] = { ...items[0], status: "running" };
        }
        return HttpResponse.json({ items, next_cursor: null });
      }),
      mock.post("/api/v1/exports", async ({ request }) => {
        const body = (await request.json()) as { kind: string; format: string; from: string; to: string };
        expect(body.kind).toBe("audit_logs");
        expect(body.format).toBe("json");
        expect(new Date(body.from).getTime()).toBe(new Date("2026-01-01T00:00:00").getTime());
        expect(new Date(body.to).getTime()).toBe(new Date("2026-01-31T00:00:00").getTime()); // the 30th included
        items.unshift(pending);
        return HttpResponse.json(pending, { status: 202 });
      }),
      mock.post("/api/v1/exports/x1/link", () =>
        HttpResponse.json({ download_url: "http://localhost/api/v1/exports/x1/download?token=tok_0123456789abcdefghij", expires_at: "2099-01-01T00:00:00Z" }),
      ),
    );
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});

    renderPage(<ExportsSettings />, { me: exporter });
    expect(await screen.findByText("No exports yet")).toBeTruthy();
    await userEvent.selectOptions(screen.getByLabelText("What"), "audit_logs");
    await userEvent.selectOptions(screen.getByLabelText("Format"), "json");
    const from = screen.getByLabelText("From");
    await userEvent.clear(from);
    await userEvent.type(from, "2026-01-01");
    const to = screen.getByLabelText("To (included)");
    await userEvent.clear(to);
    await userEvent.type(to, "2026-01-30");
    await userEvent.click(screen.getByRole("button", { name: "Create export" }));

    const table = await screen.findByRole("table", { name: "Exports" });
    expect(within(table).getByText("Audit log")).toBeTruthy();
    expect(await within(table).findByText("ready", {}, { timeout: 10_000 })).toBeTruthy();
    expect(within(table).getByText("42")).toBeTruthy();
    expect(within(table).getByText("2.0 KB")).toBeTruthy();
    await userEvent.click(within(table).getByRole("button", { name: "Download export of audit_logs (json)" }));
    await vi.waitFor(() => expect(clicked).toHaveBeenCalled());
    const link = clicked.mock.contexts[0] as HTMLAnchorElement;
    expect(link.href).toBe("http://localhost/api/v1/exports/x1/download?token=tok_0123456789abcdefghij");
    expect(link.rel).toBe("noreferrer");
  }, 30_000);

  it("shows the API's refusal and a failed export's reason", async () => {
    server.use(
      mock.get("/api/v1/exports", () =>
        HttpResponse.json({ items: [{ ...pending, status: "failed", error: "the file store is unreachable" }], next_cursor: null }),
      ),
      mock.post("/api/v1/exports", () =>
        HttpResponse.json(
          { error: { code: "validation_error", message: "Invalid request: an export covers at most one year (366 days): split it into several", details: [] } },
          { status: 422 },
        ),
      ),
    );
    renderPage(<ExportsSettings />, { me: exporter });
    expect(await screen.findByText("failed: the file store is unreachable")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Download export/ })).toBeNull();
    await userEvent.click(screen.getByRole("button", { name: "Create export" }));
    expect(await screen.findByText(/at most one year/)).toBeTruthy();
  });

  it("tells those without exports:create that exports are for owners and admins", async () => {
    renderPage(<ExportsSettings />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    expect(await screen.findByText("Only owners and admins export the organization's data.")).toBeTruthy();
  });
});
