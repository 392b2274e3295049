/** The top bar's bell: unread count (polled, and refreshed when the tab regains focus) and the latest notifications. */
import { Bell } from "lucide-react";
import { Popover } from "radix-ui";
import * as React from "react";
import { useNavigate } from "react-router";

import { errorMessage } from "@/api/http";
import { useMarkAllRead, useMarkRead, useNotifications, type AppNotification } from "@/api/notifications";
import { Button } from "@/components/ui/button";
import { Alert, Spinner } from "@/components/ui/feedback";
import { cn, timeAgo } from "@/lib/utils";

/** Only paths inside the app: a link is data from the server, never a way off-site. */
function internalPath(link: string | null): string | null {
  return link && link.startsWith("/") && !link.startsWith("//") ? link : null;
}

function Item({ notification, onOpen }: { notification: AppNotification; onOpen: (n: AppNotification) => void }) {
  return (
    <li>
      <button
        type="button"
        onClick={() => onOpen(notification)}
        className={cn(
          "flex w-full gap-2 rounded-md px-3 py-2 text-left hover:bg-slate-50 focus:bg-slate-50 focus:outline-none",
          !notification.read && "bg-indigo-50/60",
        )}
        aria-label={`${notification.read ? "" : "Unread: "}${notification.title}`}
      >
        <span aria-hidden className={cn("mt-1.5 size-2 shrink-0 rounded-full", notification.read ? "bg-transparent" : "bg-indigo-600")} />
        <span className="min-w-0 flex-1">
          <span className="block text-sm font-medium text-slate-900">{notification.title}</span>
          {notification.body ? <span className="block text-sm text-slate-600">{notification.body}</span> : null}
          <time dateTime={notification.created_at} className="block text-xs text-slate-400">
            {timeAgo(notification.created_at)}
          </time>
        </span>
      </button>
    </li>
  );
}

export function NotificationBell() {
  const [open, setOpen] = React.useState(false);
  const navigate = useNavigate();
  const notifications = useNotifications();
  const markRead = useMarkRead();
  const markAllRead = useMarkAllRead();
  const unread = notifications.data?.unread_count ?? 0;

  const openNotification = (notification: AppNotification) => {
    if (!notification.read) markRead.mutate(notification.id);
    const path = internalPath(notification.link);
    if (path) {
      setOpen(false);
      navigate(path);
    }
  };

  return (
    <Popover.Root open={open} onOpenChange={setOpen}>
      <Popover.Trigger asChild>
        <Button variant="ghost" size="icon" className="relative" aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}>
          <Bell />
          {unread ? (
            <span
              aria-hidden
              data-testid="unread-count"
              className="absolute -right-0.5 -top-0.5 min-w-4 rounded-full bg-red-600 px-1 text-center text-[10px] font-semibold leading-4 text-white"
            >
              {unread > 99 ? "99+" : unread}
            </span>
          ) : null}
        </Button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          align="end"
          sideOffset={6}
          aria-label="Notifications"
          className="z-50 flex max-h-[32rem] w-96 flex-col rounded-lg border border-slate-200 bg-white shadow-lg"
        >
          <div className="flex items-center justify-between border-b border-slate-200 px-3 py-2">
            <h2 className="text-sm font-semibold text-slate-900">Notifications</h2>
            <Button variant="link" size="sm" disabled={unread === 0 || markAllRead.isPending} onClick={() => markAllRead.mutate()}>
              Mark all read
            </Button>
          </div>
          <div className="min-h-0 flex-1 overflow-auto p-1">
            {notifications.error ? (
              <Alert className="m-2">{errorMessage(notifications.error)}</Alert>
            ) : !notifications.data ? (
              <Spinner className="p-3" />
            ) : notifications.data.items.length === 0 ? (
              <p className="px-3 py-6 text-center text-sm text-slate-500">You have no notifications.</p>
            ) : (
              <ul aria-label="Notification list">
                {notifications.data.items.map((n) => (
                  <Item key={n.id} notification={n} onOpen={openNotification} />
                ))}
              </ul>
            )}
          </div>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
