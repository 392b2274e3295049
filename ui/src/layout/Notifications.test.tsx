import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import type { AppNotification } from "@/api/notifications";
import { NotificationBell } from "@/layout/NotificationBell";
import { NotificationSettings } from "@/pages/settings/NotificationSettings";
import { notification, notificationPage } from "@/test/analytics";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

/** A small in-memory notification store speaking the API's wire format. */
function serveNotifications(initial: AppNotification[]) {
  let items = initial;
  const calls: string[] = [];
  server.use(
    mock.get("/api/v1/notifications", () => {
      calls.push("list");
      return HttpResponse.json(notificationPage(items));
    }),
    mock.post("/api/v1/notifications/read-all", () => {
      calls.push("read-all");
      const updated = items.filter((n) => !n.read).length;
      items = items.map((n) => ({ ...n, read: true }));
      return HttpResponse.json({ updated });
    }),
    mock.post("/api/v1/notifications/:id/read", ({ params }) => {
      calls.push(`read ${String(params.id)}`);
      items = items.map((n) => (n.id === params.id ? { ...n, read: true } : n));
      const item = items.find((n) => n.id === params.id);
      return item
        ? HttpResponse.json(item)
        : HttpResponse.json({ error: { code: "not_found", message: "Notification not found" } }, { status: 404 });
    }),
  );
  return {
    calls,
    push: (n: AppNotification) => {
      items = [n, ...items];
    },
  };
}

const approval = notification();
const usage = notification({
  id: "n2",
  kind: "usage.threshold",
  title: "Executions at 80% of your plan",
  body: "1,600 of 2,000 executions this period.",
  link: null,
  created_at: new Date(Date.now() - 2 * 3600_000).toISOString(),
});
const old = notification({ id: "n3", title: "Payment failed", link: null, read: true, created_at: new Date(Date.now() - 3 * 86400_000).toISOString() });

describe("notification bell", () => {
  it("shows the unread count, lists notifications and opens one, marking it read", async () => {
    const api = serveNotifications([approval, usage, old]);
    const { router } = renderPage(<NotificationBell />);
    const bell = await screen.findByRole("button", { name: "Notifications, 2 unread" });
    expect(within(bell).getByTestId("unread-count").textContent).toBe("2");

    await userEvent.click(bell);
    const panel = await screen.findByRole("dialog", { name: "Notifications" });
    const list = within(panel).getByRole("list", { name: "Notification list" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(3);
    expect(within(list).getByText("5 minutes ago")).toBeTruthy();
    expect(within(list).getByText("1,600 of 2,000 executions this period.")).toBeTruthy();

    // Without a link it only becomes read; the panel stays open.
    await userEvent.click(within(list).getByRole("button", { name: "Unread: Executions at 80% of your plan" }));
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeTruthy();
    expect(within(list).getByRole("button", { name: "Executions at 80% of your plan" })).toBeTruthy();
    expect(api.calls).toContain("read n2");

    await userEvent.click(within(list).getByRole("button", { name: "Unread: Approval needed: Refund over $500" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/executions/exec-1"));
    expect(api.calls).toContain("read n1");
  });

  it("marks all read", async () => {
    const api = serveNotifications([approval, usage]);
    renderPage(<NotificationBell />);
    await userEvent.click(await screen.findByRole("button", { name: "Notifications, 2 unread" }));
    await userEvent.click(await screen.findByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(api.calls).toContain("read-all"));
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeTruthy();
    expect(screen.queryByTestId("unread-count")).toBeNull();
    expect((screen.getByRole("button", { name: "Mark all read" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("refreshes when the window regains focus", async () => {
    const api = serveNotifications([]);
    renderPage(<NotificationBell />);
    expect(await screen.findByRole("button", { name: "Notifications" })).toBeTruthy();
    api.push(approval);
    act(() => {
      window.dispatchEvent(new Event("visibilitychange"));
      window.dispatchEvent(new Event("focus"));
    });
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeTruthy();
  });

  it("says so when there are none", async () => {
    serveNotifications([]);
    renderPage(<NotificationBell />);
    await userEvent.click(await screen.findByRole("button", { name: "Notifications" }));
    expect(await screen.findByText("You have no notifications.")).toBeTruthy();
  });
});

describe("notification preferences", () => {
  it("turns email off for one kind and saves the whole set", async () => {
    let saved: unknown = null;
    const prefs = { email: { "approval.requested": true, "usage.threshold": true, "payment.failed": true, "integration.needs_reauth": true } };
    server.use(
      mock.get("/api/v1/notifications/preferences", () => HttpResponse.json(prefs)),
      mock.put("/api/v1/notifications/preferences", async ({ request }) => {
        const body = (await request.json()) as typeof prefs;
        saved = body;
        return HttpResponse.json(body);
      }),
    );
    renderPage(<NotificationSettings />);
    const box = await screen.findByRole("checkbox", { name: "Plan usage" });
    expect((screen.getByRole("button", { name: "Save" }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(box);
    await userEvent.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(saved).toEqual({ email: { ...prefs.email, "usage.threshold": false } }));
    await waitFor(() => expect((screen.getByRole("checkbox", { name: "Plan usage" }) as HTMLInputElement).checked).toBe(false));
  });
});
