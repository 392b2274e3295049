/** Outbound webhook endpoints of the organization and their delivery logs. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";

export type WebhookEndpoint = Schemas["WebhookEndpointPublic"];
export type WebhookEndpointCreated = Schemas["WebhookEndpointCreated"];
export type WebhookDelivery = Schemas["WebhookDeliveryPublic"];
export type WebhookEvent = Schemas["WebhookEvent"];

export const WEBHOOK_EVENTS: { value: WebhookEvent; label: string }[] = [
  { value: "execution.completed", label: "Execution completed" },
  { value: "execution.failed", label: "Execution failed or timed out" },
  { value: "execution.paused", label: "Execution waiting for approval" },
  { value: "agent.published", label: "Agent published" },
  { value: "agent.activated", label: "Agent activated" },
  { value: "agent.deactivated", label: "Agent paused" },
  { value: "webhook.test", label: "Test events" },
];

export const webhookKeys = {
  endpoints: ["org", "webhooks"] as const,
  deliveries: (id: string) => ["org", "webhooks", id, "deliveries"] as const,
};

export function useWebhookEndpoints(enabled: boolean) {
  return useQuery({
    queryKey: webhookKeys.endpoints,
    queryFn: () => http.get<Schemas["PageOf_WebhookEndpointPublic_"]>("/org/webhooks", { query: { limit: 200 } }),
    enabled,
  });
}

export function useCreateWebhookEndpoint() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["WebhookEndpointCreate"]) => http.post<WebhookEndpointCreated>("/org/webhooks", body),
    onSuccess: () => client.invalidateQueries({ queryKey: webhookKeys.endpoints }),
  });
}

export function useUpdateWebhookEndpoint() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: Schemas["WebhookEndpointUpdate"] }) =>
      http.put<WebhookEndpoint>(`/org/webhooks/${id}`, body),
    onSuccess: () => client.invalidateQueries({ queryKey: webhookKeys.endpoints }),
  });
}

export function useDeleteWebhookEndpoint() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.delete(`/org/webhooks/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: webhookKeys.endpoints }),
  });
}

export function useRotateWebhookSecret() {
  return useMutation({
    mutationFn: (id: string) => http.post<Schemas["WebhookSecretRotated"]>(`/org/webhooks/${id}/rotate-secret`),
  });
}

/** The log refreshes every few seconds while open: deliveries are sent (and retried) in the background. */
export function useWebhookDeliveries(id: string) {
  return useQuery({
    queryKey: webhookKeys.deliveries(id),
    queryFn: () =>
      http.get<Schemas["PageOf_WebhookDeliveryPublic_"]>(`/org/webhooks/${id}/deliveries`, { query: { limit: 50 } }),
    refetchInterval: 3000,
  });
}

export function useSendWebhookTest() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.post<WebhookDelivery>(`/org/webhooks/${id}/test`),
    onSuccess: (_, id) => client.invalidateQueries({ queryKey: webhookKeys.deliveries(id) }),
  });
}

export function useRedeliver() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ endpointId, deliveryId }: { endpointId: string; deliveryId: string }) =>
      http.post<WebhookDelivery>(`/org/webhooks/${endpointId}/deliveries/${deliveryId}/redeliver`),
    onSuccess: (_, { endpointId }) => client.invalidateQueries({ queryKey: webhookKeys.deliveries(endpointId) }),
  });
}
