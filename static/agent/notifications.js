// Getting the agent's attention while the tab is hidden: "(N) " before the page title, N the
// chats offered and still waiting, and, once the agent has allowed it with the account menu's
// "Enable desktop notifications" (never asked on load), a desktop notification per new chat;
// clicking it brings this tab to the front. Notifications go once the chat is taken or gone.
import { gettext, interpolate } from "../common/i18n.js";

// `offers`: Offers; `button`, `note`: the account menu's enable button and the line under it.
export function setupAttention({ offers, button, note }) {
  const baseTitle = document.title;
  const shown = new Map(); // chat id -> Notification

  function updateTitle() {
    document.title = document.hidden && offers.count ? `(${offers.count}) ${baseTitle}` : baseTitle;
  }

  function updateButton() {
    if (!button) return;
    const permission = "Notification" in window ? Notification.permission : "unsupported";
    button.hidden = permission !== "default";
    if (note) {
      note.hidden = permission === "default";
      note.textContent =
        permission === "granted"
          ? gettext("Desktop notifications are on.")
          : permission === "denied"
            ? gettext("Desktop notifications are blocked in this browser's site settings.")
            : gettext("This browser has no desktop notifications.");
    }
  }

  function notify(frame) {
    if (!document.hidden || !("Notification" in window) || Notification.permission !== "granted") return;
    const notification = new Notification(interpolate(gettext("New chat from %(name)s"), { name: frame.visitor.name }), {
      body: frame.question,
      tag: `chat-${frame.chat_id}`,
    });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
    shown.set(frame.chat_id, notification);
  }

  button?.addEventListener("click", async () => {
    await Notification.requestPermission();
    updateButton();
  });
  document.addEventListener("visibilitychange", updateTitle);
  offers.listen({
    offered: (frame, { isNew }) => {
      if (isNew && !offers.aside.has(frame.chat_id)) notify(frame);
    },
    gone: (chatId) => {
      shown.get(chatId)?.close();
      shown.delete(chatId);
    },
    changed: updateTitle,
  });
  updateButton();
}
