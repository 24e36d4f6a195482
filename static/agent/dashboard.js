// The agents' Chat Dashboard, put together: the agent socket, the tabs, the new chat popups, the
// handover dialogs and popups, the account menu. Live traffic uses the websocket protocol
// (docs/protocol.md); reads and settings use the REST API. Every part gets what it uses passed in,
// in the order below, and the socket starts once the frame router over all of them is built.
import { api } from "../common/api.js";
import { frameRouter, reportFailure } from "../common/router.js";
import { ReconnectingSocket, wsUrl } from "../common/socket.js";
import { setupAccountMenu } from "./account.js";
import { handoverHandlers } from "./handover.js";
import { setupHandoverDialogs } from "./handover-dialogs.js";
import { Offers } from "./offers.js";
import { Ringer } from "./ringer.js";
import { ChatTabs } from "./tabs.js";

const config = JSON.parse(document.getElementById("config").textContent);
const me = config.agent;
const popupsEl = document.getElementById("popups");
const connectionEl = document.getElementById("connection");

const socket = new ReconnectingSocket(); // not connected before start() below
const send = (frame) => socket.send(frame);

const tabs = new ChatTabs({
  me,
  config,
  send,
  api,
  handover: setupHandoverDialogs({ api }),
  tabsEl: document.getElementById("tabs"),
  panelsEl: document.getElementById("panels"),
  template: document.getElementById("chat-panel-template"),
  emptyEl: document.getElementById("empty"),
});
const ringer = new Ringer(config.ringUrl, popupsEl, () => me.ringer);
const offers = new Offers({ me, popupsEl, send, ringer, tabs });
const account = setupAccountMenu({
  me,
  api,
  onChange: (settings) => {
    document.getElementById("offline-hint")?.toggleAttribute("hidden", settings.chat_status === "online");
    if (settings.chat_status === "offline") offers.withdrawAll();
  },
});

const route = frameRouter(tabs.handlers, offers.handlers, handoverHandlers({ me, popupsEl, tabs, api }), {
  "agent.status": (frame) => account.update(frame),
  error: (frame) => {
    if (frame.for_type === "chat.accept") offers.withdraw(frame.chat_id, frame.detail);
    else tabs.showError(frame);
  },
});
let connectedOnce = false;
socket.start(() => wsUrl("/ws/agent/"), {
  onFrame: route,
  onOpen: () => {
    // Whatever happened while we were away: state changes and messages, from the database.
    if (connectedOnce) tabs.refreshAll();
    connectedOnce = true;
  },
  onState: (state) => {
    connectionEl.hidden = state === "open";
    connectionEl.textContent = state === "refused" ? "Signed out: reload the page" : "Reconnecting…";
  },
});

for (const id of config.openChatIds) reportFailure(tabs.open(id, { focus: false }));
