/** Render a page inside the app's providers and a memory router, signed in as `me`. */
import { render } from "@testing-library/react";
import { http as mock, HttpResponse } from "msw";
import type * as React from "react";
import { createMemoryRouter, RouterProvider } from "react-router";

import type { Me } from "@/api/auth";
import { session } from "@/api/http";
import { createQueryClient, Providers } from "@/App";
import { server } from "@/test/server";

export const ownerMe: Me = {
  user: { id: "u1", email: "ada@example.com", full_name: "Ada Lovelace", created_at: "2026-01-01T00:00:00Z" },
  org: { id: "o1", name: "Acme", slug: "acme", plan: "free", data_region: "us", settings: {}, created_at: "2026-01-01T00:00:00Z" },
  role: "owner",
  permissions: [
    "org:read", "org:update", "members:read", "members:invite", "members:manage", "api_keys:read", "api_keys:write",
    "secrets:read", "secrets:write", "agents:read", "agents:write", "agents:publish", "agents:archive", "agents:execute",
    "executions:read", "executions:manage", "knowledge:read", "knowledge:write",
  ],
  memberships: [{ org: { id: "o1", name: "Acme", slug: "acme" }, role: "owner" }],
  auth_method: "token",
  api_key_id: null,
};

export function renderPage(element: React.ReactNode, { path = "/", url = path, me = ownerMe }: { path?: string; url?: string; me?: Me } = {}) {
  session.set("test-token");
  server.use(mock.get("/api/v1/auth/me", () => HttpResponse.json(me)));
  const client = createQueryClient();
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  const router = createMemoryRouter(
    [{ element: <Providers client={client} />, children: [{ path, element }, { path: "*", element: <div>elsewhere</div> }] }],
    { initialEntries: [url] },
  );
  return { router, ...render(<RouterProvider router={router} />) };
}
