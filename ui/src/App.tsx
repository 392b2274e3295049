/** Routes: public auth pages, then the signed-in dashboard shell with its sections. */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createBrowserRouter, Navigate, Outlet, RouterProvider, type RouteObject } from "react-router";

import { ApiError } from "@/api/http";
import { AuthProvider } from "@/auth/AuthProvider";
import { RequireAuth } from "@/auth/RequireAuth";
import { PlanLimitNotice } from "@/components/PlanLimitNotice";
import { Toaster } from "@/components/ui/feedback";
import { AppShell } from "@/layout/AppShell";
import { AgentLayout } from "@/pages/agents/AgentLayout";
import { AgentsPage } from "@/pages/agents/AgentsPage";
import { AcceptInvitationPage } from "@/pages/auth/AcceptInvitationPage";
import { LoginPage } from "@/pages/auth/LoginPage";
import { SignupPage } from "@/pages/auth/SignupPage";
import { SsoCompletePage, SsoPage } from "@/pages/auth/SsoPage";
import { ComingSoonPage } from "@/pages/ComingSoonPage";
import { ExecutionsPage } from "@/pages/executions/ExecutionsPage";
import { IntegrationsPage } from "@/pages/integrations/IntegrationsPage";
import { KnowledgeBasePage } from "@/pages/knowledge/KnowledgeBasePage";
import { KnowledgeBasesPage } from "@/pages/knowledge/KnowledgeBasesPage";
import { NotFoundPage } from "@/pages/NotFoundPage";
import { BillingSettings } from "@/pages/billing/BillingSettings";
import { ApiKeysSettings } from "@/pages/settings/ApiKeysSettings";
import { AuditLogSettings } from "@/pages/settings/AuditLogSettings";
import { ExportsSettings } from "@/pages/settings/ExportsSettings";
import { MembersSettings } from "@/pages/settings/MembersSettings";
import { NotificationSettings } from "@/pages/settings/NotificationSettings";
import { OrganizationSettings } from "@/pages/settings/OrganizationSettings";
import { ProvidersSettings } from "@/pages/settings/ProvidersSettings";
import { SecretsSettings } from "@/pages/settings/SecretsSettings";
import { SettingsLayout } from "@/pages/settings/SettingsLayout";
import { TeamsSettings } from "@/pages/settings/TeamsSettings";
import { WebhooksSettings } from "@/pages/settings/WebhooksSettings";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        // 4xx answers will not change by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
      },
    },
  });
}

export function Providers({ client }: { client: QueryClient }) {
  return (
    <QueryClientProvider client={client}>
      <AuthProvider>
        <Outlet />
        <Toaster />
        <PlanLimitNotice />
      </AuthProvider>
    </QueryClientProvider>
  );
}

// The builder, the version diff, the run detail and analytics (React Flow, Ajv, Recharts) load on first use: the sign-in page and
// the dashboard stay a small download.
export function appRoutes(client: QueryClient): RouteObject[] {
  return [
    {
      element: <Providers client={client} />,
      children: [
        { path: "/login", element: <LoginPage /> },
        { path: "/signup", element: <SignupPage /> },
        { path: "/sso", element: <SsoPage /> },
        { path: "/sso/complete", element: <SsoCompletePage /> },
        { path: "/invitations/:token", element: <AcceptInvitationPage /> },
        {
          element: <RequireAuth />,
          children: [
            {
              element: <AppShell />,
              children: [
                { index: true, element: <Navigate to="/agents" replace /> },
                { path: "agents", element: <AgentsPage /> },
                {
                  path: "agents/:agentId",
                  element: <AgentLayout />,
                  children: [
                    { index: true, lazy: () => import("@/builder/BuilderPage").then((m) => ({ Component: m.BuilderPage })) },
                    { path: "versions", lazy: () => import("@/pages/agents/VersionsPage").then((m) => ({ Component: m.VersionsPage })) },
                    { path: "executions", element: <ExecutionsPage /> },
                    { path: "analytics", lazy: () => import("@/pages/analytics/AgentAnalyticsPage").then((m) => ({ Component: m.AgentAnalyticsPage })) },
                    { path: "access", lazy: () => import("@/pages/agents/AccessPage").then((m) => ({ Component: m.AccessPage })) },
                  ],
                },
                { path: "executions", element: <ExecutionsPage /> },
                {
                  path: "executions/:executionId",
                  lazy: () => import("@/pages/executions/ExecutionDetailPage").then((m) => ({ Component: m.ExecutionDetailPage })),
                },
                { path: "integrations", element: <IntegrationsPage /> },
                { path: "knowledge", element: <KnowledgeBasesPage /> },
                { path: "knowledge/:knowledgeBaseId", element: <KnowledgeBasePage /> },
                {
                  path: "templates",
                  element: (
                    <ComingSoonPage title="Templates">
                      Ready-made agents to start from are on their way. Until then, create an agent from scratch on the Agents page.
                    </ComingSoonPage>
                  ),
                },
                { path: "analytics", lazy: () => import("@/pages/analytics/AnalyticsPage").then((m) => ({ Component: m.AnalyticsPage })) },
                {
                  path: "settings",
                  element: <SettingsLayout />,
                  children: [
                    { index: true, element: <Navigate to="organization" replace /> },
                    { path: "organization", element: <OrganizationSettings /> },
                    { path: "members", element: <MembersSettings /> },
                    { path: "teams", element: <TeamsSettings /> },
                    { path: "providers", element: <ProvidersSettings /> },
                    { path: "api-keys", element: <ApiKeysSettings /> },
                    { path: "secrets", element: <SecretsSettings /> },
                    { path: "billing", element: <BillingSettings /> },
                    { path: "notifications", element: <NotificationSettings /> },
                    { path: "webhooks", element: <WebhooksSettings /> },
                    { path: "audit-log", element: <AuditLogSettings /> },
                    { path: "exports", element: <ExportsSettings /> },
                  ],
                },
                { path: "*", element: <NotFoundPage /> },
              ],
            },
          ],
        },
      ],
    },
  ];
}

export function App() {
  const client = createQueryClient();
  return <RouterProvider router={createBrowserRouter(appRoutes(client))} />;
}
