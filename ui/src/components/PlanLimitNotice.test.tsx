import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";

import { ApiError, upload } from "@/api/http";
import { planLimitSummary } from "@/components/PlanLimitNotice";
import { AgentsPage } from "@/pages/agents/AgentsPage";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

const refusal = (limit: string, used: number, allowed: number) =>
  HttpResponse.json(
    {
      error: {
        code: "plan_limit_reached",
        message: `Your plan's ${limit} limit is reached.`,
        details: { limit, used, allowed, upgrade_url: "http://127.0.0.1:8000/settings/billing" },
      },
    },
    { status: 402 },
  );

describe("plan limits", () => {
  it("explains a 402 from any action and links to the billing page", async () => {
    server.use(
      mock.get("/api/v1/agents", () => HttpResponse.json({ items: [], next_cursor: null })),
      mock.post("/api/v1/agents", () => refusal("agents", 3, 3)),
    );
    const { router } = renderPage(<AgentsPage />, { path: "/agents" });
    await userEvent.click((await screen.findAllByRole("button", { name: "New agent" }))[0]!);
    await userEvent.type(screen.getByLabelText("Name"), "One too many");
    await userEvent.click(screen.getByRole("button", { name: "Create and open builder" }));

    const notice = await screen.findByRole("alert", { name: "Plan limit reached" });
    expect(within(notice).getByText("Your plan's agents limit is reached.")).toBeTruthy();
    expect(within(notice).getByText("Your plan allows 3 agents; you are using 3.")).toBeTruthy();
    // The dialog shows the API's message too.
    expect(within(screen.getByRole("dialog")).getByText("Your plan's agents limit is reached.")).toBeTruthy();

    await userEvent.click(within(notice).getByRole("link", { name: "See plans and usage" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/settings/billing"));
    expect(screen.queryByRole("alert", { name: "Plan limit reached" })).toBeNull();
  });

  it("catches uploads too, and words storage in bytes", async () => {
    server.use(mock.post("/api/v1/knowledge-bases/kb-1/documents", () => refusal("knowledge_bytes", 52_428_800, 52_428_800)));
    renderPage(<div>page</div>);
    const form = new FormData();
    form.append("files", new File(["x"], "a.txt"), "a.txt");
    const error = await upload("/knowledge-bases/kb-1/documents", form).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(402);
    const notice = await screen.findByRole("alert", { name: "Plan limit reached" });
    expect(within(notice).getByText("Your plan allows 50 MB knowledge storage; you are using 50 MB.")).toBeTruthy();
  });

  it("says nothing extra without the details", () => {
    expect(planLimitSummary(new ApiError(402, "plan_limit_reached", "No."))).toBeNull();
  });
});
