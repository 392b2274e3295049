import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";

import { AuditLogSettings } from "@/pages/settings/AuditLogSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const auditor = { ...ownerMe, permissions: [...ownerMe.permissions, "audit:read" as const] };

function entry(n: number, action: string) {
  return {
    id: `e${n}`,
    action,
    actor: { type: "user", id: "u1", email: "ada@example.com" },
    resource_type: action.split(".")[0],
    resource_id: `r${n}`,
    ip: "203.0.113.7",
    user_agent: "Mozilla/5.0",
    request_id: `req-${n}`,
    details: { changes: [{ op: "create", table: "secrets", after: { name: `SECRET_${n}` } }] },
    created_at: "2026-01-01T00:00:00Z",
  };
}

const member = {
  user: { id: "u1", email: "ada@example.com", full_name: "Ada Lovelace", created_at: "2026-01-01T00:00:00Z" },
  role: "owner",
  created_at: "2026-01-01T00:00:00Z",
};

function serveActors() {
  server.use(
    mock.get("/api/v1/org/members", () => HttpResponse.json({ items: [member], next_cursor: null })),
    mock.get("/api/v1/org/api-keys", () => HttpResponse.json({ items: [], next_cursor: null })),
  );
}

afterEach(() => vi.restoreAllMocks());

describe("Audit log", () => {
  it("filters, loads more, expands a row and exports with the filters", async () => {
    serveActors();
    const seen: URLSearchParams[] = [];
    server.use(
      mock.get("/api/v1/org/audit-logs", ({ request }) => {
        const query = new URL(request.url).searchParams;
        seen.push(query);
        if (query.get("action") === "secret.created") {
          return query.get("cursor") === "c2"
            ? HttpResponse.json({ items: [entry(3, "secret.created")], next_cursor: null })
            : HttpResponse.json({ items: [entry(2, "secret.created")], next_cursor: "c2" });
        }
        return HttpResponse.json({ items: [entry(1, "agent.created"), entry(2, "secret.created")], next_cursor: null });
      }),
      mock.get("/api/v1/org/audit-logs/export", ({ request }) => {
        const query = new URL(request.url).searchParams;
        expect(query.get("format")).toBe("csv");
        expect(query.get("action")).toBe("secret.created");
        expect(query.get("actor")).toBe("u1");
        return new HttpResponse("id,action\ne2,secret.created\n", {
          headers: { "Content-Type": "text/csv", "Content-Disposition": 'attachment; filename="audit-log-20260101.csv"' },
        });
      }),
    );
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return "blob:audit";
    });
    URL.revokeObjectURL = vi.fn();
    const clicked = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(() => {});

    renderPage(<AuditLogSettings />, { me: auditor });
    const table = await screen.findByRole("table", { name: "Audit log" });
    expect(within(table).getByText("agent.created")).toBeTruthy();

    await userEvent.type(screen.getByLabelText("Action"), "secret.created");
    await userEvent.selectOptions(screen.getByLabelText("Actor"), "u1");
    await userEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    expect(await within(table).findByText("r2")).toBeTruthy();
    expect(within(table).queryByText("agent.created")).toBeNull();
    expect(seen.at(-1)?.get("actor")).toBe("u1");

    await userEvent.click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(table).findByText("r3")).toBeTruthy();
    expect(seen.at(-1)?.get("cursor")).toBe("c2");
    expect(screen.queryByRole("button", { name: "Load more" })).toBeNull();

    const [first] = within(table).getAllByRole("button", { name: "Details of secret.created" });
    await userEvent.click(first!);
    const details = screen.getByTestId("audit-details");
    expect(JSON.parse(details.textContent ?? "")).toEqual(entry(2, "secret.created").details);
    expect(within(table).getByText("req-2")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: /Export CSV/ }));
    await vi.waitFor(() => expect(clicked).toHaveBeenCalled());
    expect(await created[0]!.text()).toContain("e2,secret.created");
    const link = clicked.mock.contexts[0] as HTMLAnchorElement;
    expect(link.download).toBe("audit-log-20260101.csv");
  }, 30_000);

  it("shows the API's error for a bad date range", async () => {
    serveActors();
    server.use(
      mock.get("/api/v1/org/audit-logs", ({ request }) =>
        new URL(request.url).searchParams.get("from")
          ? HttpResponse.json({ error: { code: "invalid_date_range", message: "`to` must be after `from`", details: null } }, { status: 400 })
          : HttpResponse.json({ items: [], next_cursor: null }),
      ),
    );
    renderPage(<AuditLogSettings />, { me: auditor });
    expect(await screen.findByText("No audit log entries")).toBeTruthy();
    await userEvent.type(screen.getByLabelText("From"), "2026-02-01");
    await userEvent.type(screen.getByLabelText("To (included)"), "2026-01-01");
    await userEvent.click(screen.getByRole("button", { name: "Apply filters" }));
    expect(await screen.findByText("`to` must be after `from`")).toBeTruthy();
  });

  it("tells those without audit:read that it is for owners and admins", async () => {
    renderPage(<AuditLogSettings />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    expect(await screen.findByText("Only owners and admins can read the audit log.")).toBeTruthy();
  });
});
