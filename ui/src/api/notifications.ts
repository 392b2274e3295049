/**
 * The notification centre: the caller's own notifications (newest first, with the unread count), mark read,
 * and which kinds also arrive by email (docs/api.md, Notifications).
 * The list and its items are the generated types; the preferences are typed here by kind (OpenAPI gives a
 * free-form map).
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";

export type NotificationKind = "approval.requested" | "usage.threshold" | "payment.failed" | "integration.needs_reauth";

/** Labels for the preferences form; a Record, so a kind the API adds fails the typecheck until it is named. */
export const NOTIFICATION_KINDS: Record<NotificationKind, { label: string; hint: string }> = {
  "approval.requested": { label: "Approval requests", hint: "A run waits for you to approve a step." },
  "usage.threshold": { label: "Plan usage", hint: "Your organization reached a plan limit (owners and admins)." },
  "payment.failed": { label: "Failed payments", hint: "A payment for your plan failed (owners and admins)." },
  "integration.needs_reauth": { label: "Integrations to reconnect", hint: "A connection's sign-in stopped working." },
};

/** `kind` is a string, not only the known kinds: a newer API may send more. `link` is an app path or null. */
export type AppNotification = Schemas["NotificationPublic"];
export type NotificationPage = Schemas["NotificationList"];

export interface NotificationPreferences {
  email: Record<NotificationKind, boolean>;
}

/** The bell re-asks this often; a focused tab also re-asks at once. */
export const POLL_MS = 30_000;
const LIST_LIMIT = 20;

export const notificationKeys = {
  all: ["notifications"] as const,
  list: ["notifications", "list"] as const,
  preferences: ["notifications", "preferences"] as const,
};

export const notificationsApi = {
  list: () => http.get<NotificationPage>("/notifications", { query: { limit: LIST_LIMIT } }),
  markRead: (id: string) => http.post<AppNotification>(`/notifications/${id}/read`),
  markAllRead: () => http.post<{ updated: number }>("/notifications/read-all"),
  preferences: () => http.get<NotificationPreferences>("/notifications/preferences"),
  savePreferences: (body: NotificationPreferences) => http.put<NotificationPreferences>("/notifications/preferences", body),
};

export function useNotifications() {
  return useQuery({
    queryKey: notificationKeys.list,
    queryFn: notificationsApi.list,
    refetchInterval: POLL_MS,
    // Even within the app's 10 s staleness: coming back to the tab should show what arrived meanwhile.
    refetchOnWindowFocus: "always",
  });
}

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: notificationsApi.markRead,
    onSuccess: (updated) => {
      // Show it read at once; the refetch brings the server's unread count.
      client.setQueryData<NotificationPage>(notificationKeys.list, (page) =>
        page && {
          ...page,
          items: page.items.map((item) => (item.id === updated.id ? updated : item)),
          unread_count: Math.max(0, page.unread_count - (page.items.find((i) => i.id === updated.id && !i.read) ? 1 : 0)),
        },
      );
      return client.invalidateQueries({ queryKey: notificationKeys.list });
    },
  });
}

export function useMarkAllRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: notificationsApi.markAllRead,
    onSuccess: () => client.invalidateQueries({ queryKey: notificationKeys.list }),
  });
}

export function useNotificationPreferences() {
  return useQuery({ queryKey: notificationKeys.preferences, queryFn: notificationsApi.preferences });
}

export function useSaveNotificationPreferences() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: notificationsApi.savePreferences,
    onSuccess: (saved) => client.setQueryData(notificationKeys.preferences, saved),
  });
}
