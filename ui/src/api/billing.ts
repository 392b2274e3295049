/**
 * Billing: plans, the subscription, this period's usage against each limit, Checkout/Portal redirects and
 * invoices (docs/api.md, Billing). With billing off every org is on the unlimited `self_hosted` plan.
 *
 * Typed by hand to the API contract until the generated schema has these routes (see api/analytics.ts).
 */
import { useMutation, useQuery } from "@tanstack/react-query";

import type { Permission } from "@/api/auth";
import { http } from "@/api/http";

export type LimitName = "agents" | "executions" | "knowledge_bytes" | "seats";
export const LIMIT_NAMES = Object.keys({ agents: 1, executions: 1, knowledge_bytes: 1, seats: 1 } satisfies Record<LimitName, 1>) as LimitName[];

/** null = unlimited. */
export type PlanLimits = Record<LimitName, number | null>;

export interface Plan {
  name: string;
  title: string;
  monthly_usd: number | null;
  limits: PlanLimits;
  api_requests_per_minute: number | null;
  features: string[];
  self_serve: boolean;
}

export interface PlansResponse {
  billing_enabled: boolean;
  /** The org's effective plan name. */
  current: string;
  plans: Plan[];
}

export type SubscriptionStatus = "active" | "trialing" | "past_due" | "canceled" | "incomplete" | "unpaid" | "none";

export interface Subscription {
  plan: string;
  status: SubscriptionStatus;
  customer_id: string | null;
  current_period_start: string | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  billing_enabled: boolean;
  limits: PlanLimits;
}

export interface LimitUsage {
  used: number;
  limit: number | null;
}

export interface Usage {
  plan: string;
  period_start: string;
  period_end: string;
  limits: Record<LimitName, LimitUsage>;
}

export interface Invoice {
  id: string;
  number: string | null;
  status: string | null;
  /** In the currency's minor unit (cents), as Stripe gives them. */
  amount_due: number;
  amount_paid: number;
  currency: string;
  created: string;
  period_start: string | null;
  period_end: string | null;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
}

/** The body of a 402/429 `plan_limit_reached` error. */
export interface PlanLimitDetails {
  limit: LimitName;
  used: number;
  allowed: number;
  upgrade_url: string;
}

export const BILLING_READ: Permission = "billing:read";
export const BILLING_MANAGE: Permission = "billing:manage";
export const BILLING_PATH = "/settings/billing";

export const billingKeys = {
  all: ["billing"] as const,
  plans: ["billing", "plans"] as const,
  subscription: ["billing", "subscription"] as const,
  usage: ["billing", "usage"] as const,
  invoices: ["billing", "invoices"] as const,
};

export const billingApi = {
  plans: () => http.get<PlansResponse>("/billing/plans"),
  subscription: () => http.get<Subscription>("/billing/subscription"),
  usage: () => http.get<Usage>("/billing/usage"),
  invoices: () => http.get<{ items: Invoice[] }>("/billing/invoices"),
  subscribe: (plan: string) => http.post<{ url: string }>("/billing/subscribe", { plan }),
  portal: () => http.post<{ url: string }>("/billing/portal"),
};

export const usePlans = () => useQuery({ queryKey: billingKeys.plans, queryFn: billingApi.plans });
export const useSubscription = () => useQuery({ queryKey: billingKeys.subscription, queryFn: billingApi.subscription });
export const useUsage = () => useQuery({ queryKey: billingKeys.usage, queryFn: billingApi.usage });
export const useInvoices = (enabled: boolean) =>
  useQuery({ queryKey: billingKeys.invoices, queryFn: billingApi.invoices, enabled });

/** Where the browser goes next: Stripe Checkout/Portal, or back to this page after a plan switch (an object, so tests can watch it). */
export const browser = {
  redirectTo(url: string): void {
    window.location.assign(url);
  },
};

export const useSubscribe = () => useMutation({ mutationFn: billingApi.subscribe, onSuccess: ({ url }) => browser.redirectTo(url) });
export const usePortal = () => useMutation({ mutationFn: billingApi.portal, onSuccess: ({ url }) => browser.redirectTo(url) });
