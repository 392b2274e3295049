import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { http as mock, HttpResponse } from "msw";
import { afterEach, describe, expect, it, vi } from "vitest";

import { browser } from "@/api/billing";
import { BillingSettings } from "@/pages/billing/BillingSettings";
import { meterLevel } from "@/pages/billing/UsageMeters";
import { analyticsMe, billingUsage, plans, subscription, viewerMe } from "@/test/analytics";
import { renderPage } from "@/test/render";
import { server } from "@/test/server";

afterEach(() => vi.restoreAllMocks());

const unlimited = { used: 0, limit: null };

function serveBilling(enabled: boolean) {
  const calls: string[] = [];
  server.use(
    mock.get("/api/v1/billing/plans", () => HttpResponse.json(plans(enabled, enabled ? "starter" : "self_hosted"))),
    mock.get("/api/v1/billing/subscription", () =>
      HttpResponse.json(
        enabled
          ? subscription()
          : subscription({ plan: "self_hosted", status: "none", customer_id: null, current_period_start: null, current_period_end: null, billing_enabled: false, limits: { agents: null, executions: null, knowledge_bytes: null, seats: null } }),
      ),
    ),
    mock.get("/api/v1/billing/usage", () =>
      HttpResponse.json(
        enabled
          ? billingUsage()
          : billingUsage({ plan: "self_hosted", limits: { agents: { used: 12, limit: null }, executions: { used: 3400, limit: null }, knowledge_bytes: unlimited, seats: { used: 3, limit: null } } }),
      ),
    ),
    mock.get("/api/v1/billing/invoices", () => {
      calls.push("invoices");
      return HttpResponse.json({
        items: [
          { id: "in_1", number: "AF-0001", status: "paid", amount_due: 2900, amount_paid: 2900, currency: "usd", created: "2026-03-01T00:00:00Z", period_start: "2026-02-01T00:00:00Z", period_end: "2026-03-01T00:00:00Z", hosted_invoice_url: "https://invoice.stripe.com/i/1", invoice_pdf: "https://pay.stripe.com/invoice/1/pdf" },
        ],
      });
    }),
    mock.post("/api/v1/billing/subscribe", async ({ request }) => {
      calls.push(`subscribe ${JSON.stringify(await request.json())}`);
      return HttpResponse.json({ url: "https://checkout.stripe.com/c/pay/cs_test_1" });
    }),
    mock.post("/api/v1/billing/portal", () => {
      calls.push("portal");
      return HttpResponse.json({ url: "https://billing.stripe.com/p/session/1" });
    }),
  );
  return calls;
}

describe("billing settings", () => {
  it("shows the plan, a meter per limit (amber from 80 %, red at the limit), plan changes and invoices to managers", async () => {
    const calls = serveBilling(true);
    const redirect = vi.spyOn(browser, "redirectTo").mockImplementation(() => {});
    renderPage(<BillingSettings />, { path: "/settings/billing", me: analyticsMe });
    expect(await screen.findByText("Current plan: Starter")).toBeTruthy();
    expect(screen.getByText("Active")).toBeTruthy();
    expect(screen.getByText("Renews on Apr 1, 2026")).toBeTruthy();

    const agents = screen.getByRole("group", { name: "Agents" });
    expect(within(agents).getByText("9 of 10")).toBeTruthy();
    expect(agents.dataset.level).toBe("warning");
    expect(screen.getByRole("meter", { name: "Agents used" }).getAttribute("aria-valuenow")).toBe("9");
    expect(screen.getByRole("group", { name: "Executions this period" }).dataset.level).toBe("ok");
    expect(within(screen.getByRole("group", { name: "Knowledge storage" })).getByText("512 MB of 1.0 GB")).toBeTruthy();
    expect(screen.getByRole("group", { name: "Seats" }).dataset.level).toBe("full");

    expect(screen.getByRole("button", { name: "Downgrade to Free" })).toBeTruthy();
    expect(within(screen.getByRole("group", { name: "Enterprise" })).getByText("Contact us to set up this plan.")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Upgrade to Pro" }));
    await waitFor(() => expect(redirect).toHaveBeenCalledWith("https://checkout.stripe.com/c/pay/cs_test_1"));
    expect(calls).toContain('subscribe {"plan":"pro"}');

    const invoices = await screen.findByRole("table", { name: "Invoices" });
    expect(within(invoices).getByText("AF-0001")).toBeTruthy();
    expect(within(invoices).getByText("$29.00")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Manage billing" }));
    await waitFor(() => expect(redirect).toHaveBeenCalledWith("https://billing.stripe.com/p/session/1"));
  });

  it("shows viewers the plan and usage, without plan buttons, the portal or invoices", async () => {
    const calls = serveBilling(true);
    renderPage(<BillingSettings />, { path: "/settings/billing", me: viewerMe });
    expect(await screen.findByText("Current plan: Starter")).toBeTruthy();
    expect(screen.getByRole("group", { name: "Agents" })).toBeTruthy();
    expect(screen.getByText("Only owners and admins can change the plan.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Upgrade|Downgrade|Manage billing/ })).toBeNull();
    expect(screen.queryByRole("table", { name: "Invoices" })).toBeNull();
    expect(calls).not.toContain("invoices");
  });

  it("with billing off shows the unlimited self-hosted plan and usage, and nothing to buy", async () => {
    const calls = serveBilling(false);
    renderPage(<BillingSettings />, { path: "/settings/billing", me: analyticsMe });
    expect(await screen.findByText("Current plan: Self-hosted")).toBeTruthy();
    expect(screen.getByText(/does not charge for usage/)).toBeTruthy();
    expect(within(screen.getByRole("group", { name: "Executions this period" })).getByText("3,400 · Unlimited")).toBeTruthy();
    expect(screen.getByRole("group", { name: "Agents" }).dataset.level).toBe("unlimited");
    expect(screen.queryByRole("meter")).toBeNull();
    expect(screen.queryByRole("button", { name: /Upgrade|Downgrade|Manage billing/ })).toBeNull();
    expect(screen.queryByText("Change plan")).toBeNull();
    expect(calls).not.toContain("invoices");
  });

  it("says a plan change went through when Stripe sends the browser back", async () => {
    serveBilling(true);
    renderPage(<BillingSettings />, { path: "/settings/billing", url: "/settings/billing?changed=1", me: analyticsMe });
    expect(await screen.findByText(/Your plan was changed/)).toBeTruthy();
  });

  it("grades meters", () => {
    expect(meterLevel({ used: 79, limit: 100 })).toBe("ok");
    expect(meterLevel({ used: 80, limit: 100 })).toBe("warning");
    expect(meterLevel({ used: 100, limit: 100 })).toBe("full");
    expect(meterLevel({ used: 0, limit: 0 })).toBe("full");
    expect(meterLevel({ used: 5, limit: null })).toBe("unlimited");
  });
});
