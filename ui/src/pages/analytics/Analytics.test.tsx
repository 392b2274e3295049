import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { AgentAnalyticsPage, bucketLabel } from "@/pages/analytics/AgentAnalyticsPage";
import { AnalyticsPage } from "@/pages/analytics/AnalyticsPage";
import { presetRange, rangeProblem, todayIn } from "@/pages/analytics/range";
import { agentAnalytics, analyticsMe, costs, overview, usage } from "@/test/analytics";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

// 23:30 UTC on March 2 is already March 3 in Berlin (UTC+1): the org's day decides "today".
const NOW = new Date("2026-03-02T23:30:00Z");

// jsdom lays nothing out: give elements a content size, which is what Recharts measures before drawing.
beforeAll(() => {
  Object.defineProperties(HTMLElement.prototype, {
    clientWidth: { get: () => 600, configurable: true },
    clientHeight: { get: () => 256, configurable: true },
  });
});
afterAll(() => {
  delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth;
  delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight;
});

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

/** Answers every analytics call and records the query strings asked for. */
function serveAnalytics(body = { overview: overview(), usage: usage() }) {
  const asked: string[] = [];
  const record = (request: Request) => {
    const url = new URL(request.url);
    asked.push(`${url.pathname.replace("/api/v1/analytics/", "")}?${url.searchParams.toString()}`);
    return url;
  };
  server.use(
    mock.get("/api/v1/analytics/overview", ({ request }) => (record(request), HttpResponse.json(body.overview))),
    mock.get("/api/v1/analytics/usage", ({ request }) => (record(request), HttpResponse.json(body.usage))),
    mock.get("/api/v1/analytics/costs", ({ request }) => {
      const groupBy = record(request).searchParams.get("group_by") as "agent" | "provider";
      return HttpResponse.json(costs(groupBy));
    }),
  );
  return asked;
}

const renderAnalytics = (url = "/analytics") => renderPage(<AnalyticsPage />, { path: "/analytics", url, me: analyticsMe });

describe("date ranges", () => {
  it("counts days in the org's time zone and validates custom ranges", () => {
    expect(todayIn("Europe/Berlin", NOW)).toBe("2026-03-03");
    expect(todayIn("UTC", NOW)).toBe("2026-03-02");
    expect(presetRange(7, "Europe/Berlin", NOW)).toEqual({ from: "2026-02-25", to: "2026-03-03" });
    expect(rangeProblem({ from: "2026-03-05", to: "2026-03-01" })).toBe("The start date is after the end date.");
    expect(rangeProblem({ from: "2025-01-01", to: "2026-03-01" })).toMatch(/at most 400 days/);
    expect(rangeProblem({ from: "2026-01-01", to: "2026-03-01" })).toBeNull();
  });
});

describe("analytics page", () => {
  it("shows the summary with trends, the charts and the top agents for the last 30 days in the org's zone", async () => {
    const asked = serveAnalytics();
    renderAnalytics();
    const executions = await screen.findByRole("group", { name: "Executions" });
    expect(within(executions).getByText("120")).toBeTruthy();
    expect(within(executions).getByText(/\+20% vs previous period/)).toBeTruthy();
    expect(within(screen.getByRole("group", { name: "Success rate" })).getByText(/\+10 pts/)).toBeTruthy();
    expect(within(screen.getByRole("group", { name: "Cost" })).getByText("$3.75")).toBeTruthy();
    expect(within(screen.getByRole("group", { name: "p95 duration" })).getByText("8.1 s")).toBeTruthy();
    expect(screen.getByText(/days in Europe\/Berlin/)).toBeTruthy();

    for (const title of ["Executions over time", "Tokens by provider", "Cost by agent"]) {
      const figure = await screen.findByRole("figure", { name: title });
      await waitFor(() => expect(figure.querySelector("svg.recharts-surface")).not.toBeNull());
    }
    // One bar per provider (input and output stacked), one line per series.
    await waitFor(() => expect(screen.getByRole("figure", { name: "Tokens by provider" }).querySelectorAll(".recharts-bar-rectangle").length).toBe(4));
    expect(screen.getByRole("figure", { name: "Executions over time" }).querySelectorAll(".recharts-line").length).toBe(3);

    const table = screen.getByRole("table", { name: "Top agents" });
    const rows = within(table).getAllByRole("row");
    expect(within(rows[1]!).getByRole("link", { name: "Ticket triage" }).getAttribute("href")).toBe("/agents/agent-1/analytics");
    expect(within(rows[1]!).getByText("67%")).toBeTruthy();

    const range = "from=2026-02-02&to=2026-03-03";
    expect(asked).toEqual(
      expect.arrayContaining([`overview?${range}`, `usage?period=daily&${range}`, `costs?group_by=provider&${range}`, `costs?group_by=agent&${range}`]),
    );
  });

  it("says so when the range has no executions", async () => {
    serveAnalytics({
      overview: overview({ executions: 0, succeeded: 0, failed: 0, timed_out: 0, success_rate: null, avg_duration_ms: null, p95_duration_ms: null, active_agents: 0, tokens: 0, tokens_in: 0, tokens_out: 0, cost_usd: 0 }),
      usage: usage({ points: [] }),
    });
    renderAnalytics();
    expect(await screen.findByText("No executions in this range")).toBeTruthy();
    expect(screen.queryByRole("figure")).toBeNull();
    expect(within(screen.getByRole("group", { name: "Success rate" })).getByText("—")).toBeTruthy();
  });

  it("asks for the chosen preset, a custom range and another period", async () => {
    const asked = serveAnalytics();
    const { router } = renderAnalytics();
    await screen.findByRole("group", { name: "Executions" });

    await userEvent.click(screen.getByRole("button", { name: "7 days" }));
    await waitFor(() => expect(asked).toContain("overview?from=2026-02-25&to=2026-03-03"));
    expect(router.state.location.search).toBe("?range=7");
    expect(screen.getByRole("button", { name: "7 days" }).getAttribute("aria-pressed")).toBe("true");

    await userEvent.click(screen.getByRole("button", { name: "Custom" }));
    const from = screen.getByLabelText("From");
    const to = screen.getByLabelText("To");
    await userEvent.clear(from);
    await userEvent.type(from, "2026-03-10");
    expect(screen.getByRole("alert").textContent).toBe("The start date is after the end date.");
    expect((screen.getByRole("button", { name: "Apply" }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.clear(from);
    await userEvent.type(from, "2026-01-01");
    await userEvent.clear(to);
    await userEvent.type(to, "2026-01-31");
    await userEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(asked).toContain("overview?from=2026-01-01&to=2026-01-31"));
    expect(screen.getByRole("button", { name: "Custom" }).getAttribute("aria-pressed")).toBe("true");

    await userEvent.selectOptions(screen.getByLabelText("Group by"), "weekly");
    await waitFor(() => expect(asked).toContain("usage?period=weekly&from=2026-01-01&to=2026-01-31"));
  });

  it("shows the API's message when a request fails", async () => {
    serveAnalytics();
    server.use(
      mock.get("/api/v1/analytics/overview", () =>
        HttpResponse.json({ error: { code: "validation_error", message: "The range spans more than 400 days." } }, { status: 422 }),
      ),
    );
    renderAnalytics("/analytics?from=2024-01-01&to=2026-03-01");
    expect(await screen.findByText("The range spans more than 400 days.")).toBeTruthy();
  });
});

describe("agent analytics", () => {
  it("shows the success-rate and cost trends, the duration histogram and the errors", async () => {
    let asked = "";
    server.use(
      mock.get("/api/v1/analytics/agents/agent-1", ({ request }) => {
        asked = new URL(request.url).search;
        return HttpResponse.json(agentAnalytics());
      }),
    );
    renderPage(<AgentAnalyticsPage />, { path: "/agents/:agentId/analytics", url: "/agents/agent-1/analytics?range=7", me: analyticsMe });
    expect(await screen.findByRole("heading", { name: "Analytics: Ticket triage" })).toBeTruthy();
    expect(asked).toBe("?from=2026-02-25&to=2026-03-03");
    expect(within(screen.getByRole("group", { name: "Success rate" })).getByText("88%")).toBeTruthy();
    for (const title of ["Success rate", "Cost per execution", "Duration"]) {
      const figure = screen.getByRole("figure", { name: title });
      await waitFor(() => expect(figure.querySelector("svg.recharts-surface")).not.toBeNull());
    }
    await waitFor(() => expect(screen.getByRole("figure", { name: "Duration" }).querySelectorAll(".recharts-bar-rectangle").length).toBe(3));
    const errors = within(screen.getByRole("table", { name: "Errors" })).getAllByRole("row");
    expect(errors.map((row) => row.textContent)).toEqual(["ErrorStepRuns", "timeoutclassify2", "http_errorfile_bug8"]);
  });

  it("has an empty state, and labels the overflow bucket by the bound before it", async () => {
    server.use(
      mock.get("/api/v1/analytics/agents/agent-1", () =>
        HttpResponse.json(agentAnalytics({ summary: { ...agentAnalytics().summary, executions: 0 }, errors: [] })),
      ),
    );
    renderPage(<AgentAnalyticsPage />, { path: "/agents/:agentId/analytics", url: "/agents/agent-1/analytics", me: analyticsMe });
    expect(await screen.findByText("No executions in this range")).toBeTruthy();
    const buckets = agentAnalytics().duration_histogram;
    expect(buckets.map((_, i) => bucketLabel(buckets, i))).toEqual(["≤ 1.0 s", "≤ 5.0 s", "> 5.0 s"]);
  });
});
