import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { WebhooksSettings } from "@/pages/settings/WebhooksSettings";
import { ownerMe, renderPage } from "@/test/render";
import { server } from "@/test/server";

const endpoint = {
  id: "w1",
  url: "https://hooks.example.com/agentflow",
  events: ["execution.completed", "execution.failed"],
  description: "",
  enabled: true,
  disabled_reason: null,
  failing_since: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const delivery = {
  id: "d1",
  endpoint_id: "w1",
  event: "webhook.test",
  status: "succeeded",
  response_status: 200,
  attempt: 1,
  latency_ms: 12,
  error: null,
  next_retry_at: null,
  delivered_at: "2026-01-01T00:00:01Z",
  message_id: "msg_d1",
  payload: { type: "webhook.test", timestamp: "2026-01-01T00:00:00Z", data: {} },
  created_at: "2026-01-01T00:00:00Z",
};

describe("Webhooks", () => {
  it("adds an endpoint with its secret shown once, sends a test and shows it in the log", async () => {
    const endpoints: (typeof endpoint)[] = [];
    const deliveries: (typeof delivery)[] = [];
    server.use(
      mock.get("/api/v1/org/webhooks", () => HttpResponse.json({ items: endpoints, next_cursor: null })),
      mock.post("/api/v1/org/webhooks", async ({ request }) => {
        expect(await request.json()).toEqual({
          url: endpoint.url,
          events: ["execution.completed", "execution.failed"],
          description: "",
        });
        endpoints.push(endpoint);
        return HttpResponse.json({ ...endpoint, secret: "whsec_c2VjcmV0LXNob3duLW9uY2U=" }, { status: 201 });
      }),
      mock.post("/api/v1/org/webhooks/w1/test", () => {
        deliveries.push(delivery);
        return HttpResponse.json({ ...delivery, status: "pending", attempt: 0 }, { status: 202 });
      }),
      mock.get("/api/v1/org/webhooks/w1/deliveries", () => HttpResponse.json({ items: deliveries, next_cursor: null })),
    );
    renderPage(<WebhooksSettings />, { me: { ...ownerMe, permissions: [...ownerMe.permissions, "webhooks:read", "webhooks:manage"] } });
    expect(await screen.findByText("No webhook endpoints yet")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Add endpoint" }));
    await userEvent.type(screen.getByLabelText("URL"), endpoint.url);
    await userEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Add endpoint" }));
    expect(((await screen.findByTestId("webhook-secret")) as HTMLInputElement).value).toBe("whsec_c2VjcmV0LXNob3duLW9uY2U=");
    await userEvent.click(screen.getByRole("button", { name: "I have stored it" }));
    const table = await screen.findByRole("table", { name: "Webhook endpoints" });
    expect(within(table).getByText(endpoint.url)).toBeTruthy();
    expect(document.body.textContent).not.toContain("whsec_");

    await userEvent.click(within(table).getByRole("button", { name: "Send test" }));
    const log = await screen.findByRole("table", { name: "Deliveries" });
    expect(await within(log).findByText("webhook.test")).toBeTruthy();
    expect(within(log).getByText("succeeded")).toBeTruthy();
    expect(within(log).getByText("200")).toBeTruthy();
  }, 30_000); // typing a URL character by character is slow on a busy machine

  it("tells editors that webhooks are for admins", async () => {
    renderPage(<WebhooksSettings />, { me: { ...ownerMe, role: "editor", permissions: ["agents:read"] } });
    expect(await screen.findByText("Only owners and admins manage webhooks.")).toBeTruthy();
  });
});
