// The agent shell, run by every agent page (the Chat Dashboard, Tickets, Canned Messages, …): one
// agent socket per browser tab, the new chat popups and the ringer, the transfer and invitation
// requests (handover.js), the account menu, and the title count and desktop notifications while
// the tab is hidden. A page with more to do (the dashboard's tabs) passes its part in.
import { api } from "../common/api.js";
import { h } from "../common/dom.js";
import { gettext } from "../common/i18n.js";
import { frameRouter, reportFailure } from "../common/router.js";
import { ReconnectingSocket, wsUrl } from "../common/socket.js";
import { setupAccountMenu } from "./account.js";
import { handoverHandlers } from "./handover.js";
import { setupAttention } from "./notifications.js";
import { Offers } from "./offers.js";
import { Ringer } from "./ringer.js";

const ANSWERED_HERE_MS = 30_000;

// The signed-in agent as the top bar states it (templates/agent/topbar.html).
export function agentFromTopbar() {
  const data = document.querySelector(".topbar").dataset;
  return {
    id: Number(data.agentId),
    name: data.agentName,
    chatEnabled: data.chatEnabled === "true",
    chatStatus: data.chatStatus,
    ringer: data.ringer === "true",
  };
}

// Where a page has no chat tabs: a chat this page accepted (from a popup, in the last moments)
// opens in the Chat Dashboard; one accepted in another browser tab leaves this page alone.
function dashboardLink(popupsEl) {
  let answeredAt = -Infinity;
  popupsEl.addEventListener("click", (event) => {
    if (event.target.closest("button:not(.popup-later, .popup-show)")) answeredAt = performance.now();
  });
  const noTab = { refresh() {} };
  return {
    has: () => false,
    get: () => undefined,
    open(chatId) {
      if (performance.now() - answeredAt < ANSWERED_HERE_MS) location.assign(`/agent/?chat=${encodeURIComponent(chatId)}`);
      return Promise.resolve(noTab);
    },
    refreshAll() {},
    showError() {},
  };
}

// `me`: the agent (shared with the page's parts; account changes update it); `tabs`: ChatTabs
// on the dashboard, else the chats open in the dashboard; `handlers`: the page's own frames;
// `onStatus(settings)`: after every status or ringer change; `onOpen()`: each time the socket
// opens (the first time too); `onError(frame)`: an error frame not about an accept. Returns
// {send, offers, ringer}.
export function startAgentShell({
  me = agentFromTopbar(),
  tabs = null,
  handlers = {},
  onStatus = () => {},
  onReconnect = () => {},
  onOpen = () => {},
  onError = () => {},
} = {}) {
  const topbar = document.querySelector(".topbar");
  const popupsEl = document.getElementById("popups") || document.body.appendChild(h("div", { id: "popups", class: "popups floating", "aria-live": "polite" }));
  const connectionEl = document.getElementById("connection");
  tabs = tabs || dashboardLink(popupsEl);

  const socket = new ReconnectingSocket(); // not connected before start() below
  const send = (frame) => socket.send(frame);
  const ringer = new Ringer(topbar.dataset.ringUrl, popupsEl, () => me.ringer);
  const offers = new Offers({ me, popupsEl, send, ringer, tabs });
  setupAttention({ offers, button: document.getElementById("notifications-button"), note: document.getElementById("notifications-note") });
  const account = setupAccountMenu({
    me,
    api,
    onChange: (settings) => {
      if (settings.chat_status === "offline") offers.withdrawAll();
      if (!settings.ringer) ringer.stop();
      onStatus(settings);
    },
  });

  const route = frameRouter(handlers, offers.handlers, handoverHandlers({ me, popupsEl, tabs, api }), {
    "agent.status": (frame) => account.update(frame),
    error: (frame) => {
      if (frame.for_type === "chat.accept") offers.refused(frame);
      else {
        tabs.showError(frame);
        onError(frame);
      }
    },
  });
  let connectedOnce = false;
  socket.start(() => wsUrl("/ws/agent/"), {
    onFrame: route,
    onOpen: () => {
      offers.sendPending();
      onOpen();
      // Whatever happened while we were away: state changes and messages, from the database.
      if (connectedOnce) {
        reportFailure(offers.reconcile(api));
        onReconnect();
      }
      connectedOnce = true;
    },
    onState: (state) => {
      connectionEl.hidden = state === "open";
      connectionEl.textContent = state === "refused" ? gettext("Signed out: reload the page") : gettext("Reconnecting…");
    },
  });
  return { send, offers, ringer };
}
