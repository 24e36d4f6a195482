// The agents' Chat Dashboard, put together: the agent shell every agent page runs (socket, popups,
// ringer, handover requests, account menu; shell.js) with the chat tabs, the handover dialogs and
// the waiting list. Live traffic uses the websocket protocol (docs/protocol.md); reads and
// settings use the REST API. Every part gets what it uses passed in.
import { api } from "../common/api.js";
import { reportFailure } from "../common/router.js";
import { setupHandoverDialogs } from "./handover-dialogs.js";
import { startAgentShell } from "./shell.js";
import { ChatTabs } from "./tabs.js";
import { WaitingList } from "./waiting-list.js";

const config = JSON.parse(document.getElementById("config").textContent);
const me = config.agent;
let send = () => false; // the shell's, once it has started below

const tabs = new ChatTabs({
  me,
  config,
  send: (frame) => send(frame),
  api,
  handover: setupHandoverDialogs({ api }),
  tabsEl: document.getElementById("tabs"),
  panelsEl: document.getElementById("panels"),
  template: document.getElementById("chat-panel-template"),
  emptyEl: document.getElementById("empty"),
});
let waitingList = null;
const shell = startAgentShell({
  me,
  tabs,
  handlers: tabs.handlers,
  onStatus: (settings) => {
    document.getElementById("offline-hint")?.toggleAttribute("hidden", settings.chat_status === "online");
  },
  onReconnect: () => {
    tabs.refreshAll();
    if (waitingList) reportFailure(waitingList.refresh());
  },
});
send = shell.send;

const listEl = document.getElementById("waiting-list");
if (listEl) {
  waitingList = new WaitingList({
    offers: shell.offers,
    api,
    listEl,
    emptyEl: document.getElementById("waiting-empty"),
    countEl: document.getElementById("waiting-count"),
  });
  reportFailure(waitingList.refresh());
}

// /agent/?chat=<id>: the chat accepted on another agent page opens in front.
const wanted = Number(new URLSearchParams(location.search).get("chat"));
for (const id of config.openChatIds) reportFailure(tabs.open(id, { focus: id === wanted }));
if (wanted) history.replaceState(null, "", location.pathname);
