import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { WebhookUrl } from "@/components/WebhookUrl";
import { agentDetail, agentSummary } from "@/test/fixtures";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const OLD = "http://127.0.0.1:8000/api/v1/hooks/whk_0123456789abcdef";
const NEW = "http://127.0.0.1:8000/api/v1/hooks/whk_fedcba9876543210";

describe("webhook URL", () => {
  it("copies the URL and rotates it after a confirmation", async () => {
    let rotations = 0;
    server.use(
      mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail({ webhook_url: OLD }), { headers: { ETag: '"7"' } })),
      mock.post("/api/v1/agents/agent-1/webhook/rotate", () => {
        rotations += 1;
        return HttpResponse.json(agentSummary({ webhook_url: NEW }));
      }),
    );
    const user = userEvent.setup();
    renderPage(<WebhookUrl kind="webhook" />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    const field = await screen.findByLabelText("Webhook URL");
    expect((field as HTMLInputElement).value).toBe(OLD);
    await user.click(screen.getByRole("button", { name: "Copy webhook URL" }));
    expect(await navigator.clipboard.readText()).toBe(OLD);

    await user.click(screen.getByRole("button", { name: "Rotate webhook URL" }));
    const confirm = await screen.findByRole("alertdialog", { name: "Rotate the webhook URL?" });
    await user.click(within(confirm).getByRole("button", { name: "Cancel" }));
    expect(rotations).toBe(0);
    await user.click(screen.getByRole("button", { name: "Rotate webhook URL" }));
    await user.click(within(await screen.findByRole("alertdialog")).getByRole("button", { name: "Rotate URL" }));
    await waitFor(() => expect((screen.getByLabelText("Webhook URL") as HTMLInputElement).value).toBe(NEW));
    expect(rotations).toBe(1);
  });

  it("shows nothing for kinds without a URL, and a hint until the agent is published with one", async () => {
    server.use(mock.get("/api/v1/agents/agent-1", () => HttpResponse.json(agentDetail({ webhook_url: null }), { headers: { ETag: '"7"' } })));
    const { unmount } = renderPage(<WebhookUrl kind="webhook" />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    expect(await screen.findByText(/appears here once the agent is published/)).toBeTruthy();
    unmount();
    renderPage(<WebhookUrl kind="manual" />, { path: "/agents/:agentId", url: "/agents/agent-1" });
    expect(screen.queryByText(/appears here once the agent is published/)).toBeNull();
    expect(screen.queryByLabelText("Webhook URL")).toBeNull();
  });
});
