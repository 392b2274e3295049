/** /settings/billing — the plan and its features, usage against each limit, plan changes, invoices and the portal. */
import { Check, ExternalLink } from "lucide-react";
import { useSearchParams } from "react-router";

import {
  BILLING_MANAGE,
  useInvoices,
  usePlans,
  usePortal,
  useSubscribe,
  useSubscription,
  useUsage,
  type Invoice,
  type Plan,
  type Subscription,
  type SubscriptionStatus,
} from "@/api/billing";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner } from "@/components/ui/feedback";
import { Table, Td, Th } from "@/components/ui/table";
import { formatLimitValue, LIMIT_TITLES, UsageMeters } from "@/pages/billing/UsageMeters";

const STATUS: Record<SubscriptionStatus, { label: string; tone: BadgeTone }> = {
  active: { label: "Active", tone: "green" },
  trialing: { label: "Trial", tone: "blue" },
  past_due: { label: "Payment overdue", tone: "red" },
  unpaid: { label: "Unpaid", tone: "red" },
  incomplete: { label: "Incomplete", tone: "amber" },
  canceled: { label: "Cancelled", tone: "neutral" },
  none: { label: "No subscription", tone: "neutral" },
};

// Periods are UTC (a calendar month in UTC without a subscription), and a bare date parses as UTC midnight.
const formatDate = (iso: string | null) =>
  iso ? new Date(iso).toLocaleDateString("en", { dateStyle: "medium", timeZone: "UTC" }) : "—";

const price = (plan: Plan) => (plan.monthly_usd == null ? "Custom pricing" : plan.monthly_usd === 0 ? "Free" : `$${plan.monthly_usd}/month`);

export function formatMoney(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

function PlanLimitsList({ plan }: { plan: Plan }) {
  return (
    <ul className="space-y-1 text-sm text-slate-600">
      {(Object.keys(LIMIT_TITLES) as (keyof typeof LIMIT_TITLES)[]).map((name) => (
        <li key={name}>
          {LIMIT_TITLES[name]}: {plan.limits[name] == null ? "Unlimited" : formatLimitValue(name, plan.limits[name])}
        </li>
      ))}
      <li>API requests: {plan.api_requests_per_minute == null ? "Unlimited" : `${plan.api_requests_per_minute} per minute`}</li>
      {plan.features.map((feature) => (
        <li key={feature} className="flex gap-1.5">
          <Check className="mt-0.5 size-4 shrink-0 text-emerald-600" />
          {feature}
        </li>
      ))}
    </ul>
  );
}

function CurrentPlan({ plan, subscription, manage }: { plan: Plan | undefined; subscription: Subscription; manage: boolean }) {
  const portal = usePortal();
  const status = STATUS[subscription.status];
  return (
    <Card>
      <CardHeader className="flex-row flex-wrap items-start justify-between gap-3">
        <div className="space-y-1">
          <CardTitle>Current plan: {plan?.title ?? subscription.plan}</CardTitle>
          <div className="flex flex-wrap items-center gap-2 text-sm text-slate-500">
            <Badge tone={status.tone}>{status.label}</Badge>
            {plan ? <span>{price(plan)}</span> : null}
            {subscription.current_period_end ? (
              <span>
                {subscription.cancel_at_period_end ? "Ends" : "Renews"} on {formatDate(subscription.current_period_end)}
              </span>
            ) : null}
          </div>
        </div>
        {manage && subscription.billing_enabled ? (
          <Button variant="outline" disabled={portal.isPending} onClick={() => portal.mutate()}>
            <ExternalLink /> {portal.isPending ? "Opening…" : "Manage billing"}
          </Button>
        ) : null}
      </CardHeader>
      <CardContent className="space-y-3">
        {portal.error ? <Alert>{errorMessage(portal.error)}</Alert> : null}
        {subscription.cancel_at_period_end ? (
          <Alert tone="warning">The subscription is cancelled and ends with this period; then the organization returns to the free plan.</Alert>
        ) : null}
        {subscription.status === "past_due" || subscription.status === "unpaid" ? (
          <Alert tone="warning">The last payment failed. Update the payment method under Manage billing to keep the plan.</Alert>
        ) : null}
        {plan ? <PlanLimitsList plan={plan} /> : null}
      </CardContent>
    </Card>
  );
}

function ChangePlan({ plans, current, manage }: { plans: Plan[]; current: Plan | undefined; manage: boolean }) {
  const subscribe = useSubscribe();
  const others = plans.filter((plan) => plan.name !== current?.name && plan.name !== "self_hosted");
  if (others.length === 0) return null;
  const currentPrice = current?.monthly_usd ?? 0;
  return (
    <Card>
      <CardHeader>
        <CardTitle>Change plan</CardTitle>
        {!manage ? <p className="text-sm text-slate-500">Only owners and admins can change the plan.</p> : null}
      </CardHeader>
      <CardContent className="space-y-3">
        {subscribe.error ? <Alert>{errorMessage(subscribe.error)}</Alert> : null}
        <div className="grid gap-3 md:grid-cols-3">
          {others.map((plan) => {
            const up = plan.monthly_usd == null || plan.monthly_usd > currentPrice;
            return (
              <div key={plan.name} className="flex flex-col gap-3 rounded-lg border border-slate-200 p-4" aria-label={plan.title} role="group">
                <div>
                  <p className="font-semibold text-slate-900">{plan.title}</p>
                  <p className="text-sm text-slate-500">{price(plan)}</p>
                </div>
                <PlanLimitsList plan={plan} />
                <div className="mt-auto">
                  {!plan.self_serve ? (
                    <p className="text-sm text-slate-500">Contact us to set up this plan.</p>
                  ) : manage ? (
                    <Button
                      variant={up ? "default" : "outline"}
                      disabled={subscribe.isPending}
                      onClick={() => subscribe.mutate(plan.name)}
                    >
                      {up ? "Upgrade" : "Downgrade"} to {plan.title}
                    </Button>
                  ) : null}
                </div>
              </div>
            );
          })}
        </div>
      </CardContent>
    </Card>
  );
}

function Invoices({ invoices }: { invoices: Invoice[] }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Invoices</CardTitle>
      </CardHeader>
      <CardContent>
        {invoices.length === 0 ? (
          <p className="text-sm text-slate-500">No invoices yet.</p>
        ) : (
          <Table aria-label="Invoices">
            <thead>
              <tr>
                <Th>Invoice</Th>
                <Th>Date</Th>
                <Th>Status</Th>
                <Th className="text-right">Amount</Th>
                <Th />
              </tr>
            </thead>
            <tbody>
              {invoices.map((invoice) => (
                <tr key={invoice.id}>
                  <Td className="font-mono text-xs">{invoice.number ?? invoice.id}</Td>
                  <Td>{formatDate(invoice.created)}</Td>
                  <Td>{invoice.status ?? "—"}</Td>
                  <Td className="text-right tabular-nums">{formatMoney(invoice.amount_due, invoice.currency)}</Td>
                  <Td className="text-right">
                    {invoice.hosted_invoice_url ? (
                      <a href={invoice.hosted_invoice_url} target="_blank" rel="noreferrer" className="text-indigo-700 hover:underline">
                        View
                      </a>
                    ) : null}
                    {invoice.invoice_pdf ? (
                      <a href={invoice.invoice_pdf} target="_blank" rel="noreferrer" className="ml-3 text-indigo-700 hover:underline">
                        PDF
                      </a>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

export function BillingSettings() {
  const { can } = useAuth();
  const manage = can(BILLING_MANAGE);
  const [params] = useSearchParams();
  const plans = usePlans();
  const subscription = useSubscription();
  const usage = useUsage();
  const billingEnabled = subscription.data?.billing_enabled ?? plans.data?.billing_enabled ?? false;
  const invoices = useInvoices(manage && billingEnabled);
  const error = plans.error ?? subscription.error ?? usage.error;
  if (error) return <Alert>{errorMessage(error)}</Alert>;
  if (!plans.data || !subscription.data) return <Spinner />;
  const current = plans.data.plans.find((plan) => plan.name === subscription.data.plan);
  return (
    <div className="space-y-5">
      {params.get("changed") ? <Alert tone="info">Your plan was changed. It may take a moment to show here.</Alert> : null}
      {!billingEnabled ? (
        <Alert tone="info">
          This installation does not charge for usage: every organization is on the self-hosted plan, with no limits.
        </Alert>
      ) : null}
      <CurrentPlan plan={current} subscription={subscription.data} manage={manage} />
      <Card>
        <CardHeader>
          <CardTitle>Usage</CardTitle>
          {usage.data ? (
            <p className="text-sm text-slate-500">
              This period: {formatDate(usage.data.period_start)} – {formatDate(usage.data.period_end)}
            </p>
          ) : null}
        </CardHeader>
        <CardContent>{usage.data ? <UsageMeters limits={usage.data.limits} /> : <Spinner />}</CardContent>
      </Card>
      {billingEnabled ? <ChangePlan plans={plans.data.plans} current={current} manage={manage} /> : null}
      {manage && billingEnabled ? (
        invoices.error ? <Alert>{errorMessage(invoices.error)}</Alert> : invoices.data ? <Invoices invoices={invoices.data.items} /> : <Spinner />
      ) : null}
    </div>
  );
}
