// The agents' Chat Dashboard: offers, tabs, conversation, Visitor Info, End Session, status menu.
// Live traffic uses the websocket protocol (docs/protocol.md); reads and settings use the REST API.
import { api } from "../common/api.js";
import { formatDateTime, formatSeconds, h, insertMessage, mailtoHref, newClientId, secondsUntil } from "../common/dom.js";
import { ReconnectingSocket, wsUrl } from "../common/socket.js";
import { setupAccountMenu } from "./account.js";
import { attachCannedSuggestions } from "./canned.js";
import { setupHandover } from "./handover.js";
import { Ringer } from "./ringer.js";

const config = JSON.parse(document.getElementById("config").textContent);
const me = config.agent;
const tabsEl = document.getElementById("tabs");
const panelsEl = document.getElementById("panels");
const emptyEl = document.getElementById("empty");
const popupsEl = document.getElementById("popups");
const connectionEl = document.getElementById("connection");
const template = document.getElementById("chat-panel-template");
const TYPING_SHOWN_MS = 4000;
const TYPING_SEND_EVERY_MS = 2000;

const chats = new Map(); // chat id -> tab state
let activeId = null;
const ringer = new Ringer(config.ringUrl, popupsEl, () => me.ringer);

// Tabs -----------------------------------------------------------------------------------------

class ChatTab {
  constructor(chat, { readOnly }) {
    this.id = chat.id;
    this.chat = chat;
    this.readOnly = readOnly;
    this.lastSeq = 0;
    this.unread = 0;
    this.lastTypingSent = 0;
    this.buildTab();
    this.buildPanel();
    this.render();
  }

  buildTab() {
    this.badge = h("span", { class: "badge", hidden: true });
    this.state = h("span", { class: "tab-state" });
    this.tab = h(
      "button",
      {
        type: "button",
        class: "tab",
        role: "tab",
        id: `tab-${this.id}`,
        "aria-controls": `panel-${this.id}`,
        "aria-selected": "false",
        onclick: () => activate(this.id),
      },
      h("span", { class: "tab-name", text: this.chat.visitor.name }),
      this.state,
      this.badge,
    );
    this.closeButton = h("span", {
      class: "tab-close",
      role: "button",
      tabindex: "0",
      "aria-label": `Close ${this.chat.visitor.name}`,
      text: "×",
      hidden: true,
      onclick: (event) => {
        event.stopPropagation();
        closeTab(this.id);
      },
      onkeydown: (event) => {
        if (event.key === "Enter" || event.key === " ") closeTab(this.id);
      },
    });
    this.tab.append(this.closeButton);
    tabsEl.append(this.tab);
  }

  buildPanel() {
    const panel = template.content.firstElementChild.cloneNode(true);
    panel.id = `panel-${this.id}`;
    panel.setAttribute("aria-labelledby", `tab-${this.id}`);
    panel.hidden = true;
    this.panel = panel;
    this.list = panel.querySelector(".conversation");
    this.typing = panel.querySelector(".typing");
    this.composer = panel.querySelector(".composer");
    this.textarea = panel.querySelector("textarea");
    this.composerError = panel.querySelector(".composer-error");
    this.endingBanner = panel.querySelector(".ending-banner");
    this.endedNote = panel.querySelector(".ended-note");
    this.endButton = panel.querySelector(".end-button");
    this.endMenu = panel.querySelector(".end-menu");
    this.handoverBanner = panel.querySelector(".handover-banner");
    this.moreButton = panel.querySelector(".more-button");
    this.moreMenu = panel.querySelector(".more-menu");
    this.moreButton.addEventListener("click", () => this.toggleMoreMenu());
    this.moreMenu.querySelectorAll("[data-action]").forEach((button) =>
      button.addEventListener("click", () => {
        this.toggleMoreMenu(false);
        handover.run(button.dataset.action, this);
      }),
    );
    this.moreMenu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.toggleMoreMenu(false);
    });
    panel.querySelector(".withdraw-transfer").addEventListener("click", async () => {
      try {
        await handover.withdraw(this.pendingTransferId);
      } catch (failure) {
        this.setHandover(failure.message, null, 6000);
      }
    });

    // Before the Enter-sends handler: with suggestions open, Enter picks one instead.
    attachCannedSuggestions(this.textarea, {
      department: () => this.chat.department,
      values: () => ({
        "visitor.name": this.chat.visitor.name,
        "visitor.email": this.chat.visitor.email,
        "agent.name": me.name,
        department: this.chat.department_name || "",
      }),
    });
    this.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.textarea.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      }
    });
    this.textarea.addEventListener("input", () => this.sendTyping());
    this.endButton.addEventListener("click", () => this.toggleEndMenu());
    this.endMenu.querySelectorAll("[data-delay]").forEach((button) =>
      button.addEventListener("click", () => this.end(Number(button.dataset.delay))),
    );
    this.endMenu.querySelector(".custom-delay").addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Number(event.target.delay.value);
      if (Number.isInteger(seconds) && seconds >= 1 && seconds <= config.maxEndDelay) this.end(seconds);
    });
    this.endMenu.addEventListener("keydown", (event) => {
      if (event.key === "Escape") this.toggleEndMenu(false);
    });
    panel.querySelector(".cancel-end").addEventListener("click", () => {
      socket.send({ type: "chat.cancel_end", chat_id: this.id });
    });
    panelsEl.append(panel);
  }

  render() {
    const chat = this.chat;
    const panel = this.panel;
    panel.querySelector(".chat-question").textContent = chat.question;
    const started = panel.querySelector(".chat-started");
    started.dateTime = chat.started_at;
    started.textContent = `Started ${formatDateTime(chat.started_at)}`;
    panel.querySelector(".chat-visitor-name").textContent = chat.visitor.name;
    const email = panel.querySelector(".chat-visitor-email");
    email.textContent = chat.visitor.email;
    const href = mailtoHref(chat.visitor.email);
    if (href) email.href = href;
    else email.removeAttribute("href");
    const closed = this.readOnly || chat.status === "ended" || chat.status === "missed";
    const isOwner = chat.owner && chat.owner.id === me.id;
    this.composer.hidden = closed;
    panel.querySelector(".composer-tools").hidden = closed;
    panel.querySelector(".end-session").hidden = closed || !isOwner; // the owner ends it for everyone
    this.moreMenu.querySelector('[data-action="transfer"]').hidden = !isOwner;
    this.moreMenu.querySelector('[data-action="leave"]').hidden = isOwner;
    this.closeButton.hidden = !closed;
    this.state.textContent = chat.status === "ended" ? "Ended" : this.readOnly ? "Read-only" : "";
    this.renderEnding();
    this.endedNote.hidden = !closed;
    if (closed) {
      const state = { ended: "Ended", missed: "Missed" }[chat.status] || this.readOnlyReason || "Read-only";
      const parts = [h("strong", { text: state })];
      if (chat.ended_at) parts.push(` · ${formatDateTime(chat.ended_at)}`);
      if (chat.ticket_id) {
        const label = chat.status === "missed" ? "Missed chat ticket" : "Transcript ticket";
        parts.push(" · ", h("a", { href: `/tickets/${chat.ticket_id}/`, text: `${label} #${chat.ticket_id}` }));
      }
      this.endedNote.replaceChildren(...parts);
    }
  }

  renderEnding() {
    clearInterval(this.countdown);
    const ending = this.chat.status === "ending" && this.chat.ends_at && !this.readOnly;
    this.endingBanner.hidden = !ending;
    if (!ending) return;
    const text = this.endingBanner.querySelector(".ending-text");
    const tick = () => {
      text.textContent = `This chat ends in ${formatSeconds(secondsUntil(this.chat.ends_at))}`;
    };
    tick();
    this.countdown = setInterval(tick, 500);
  }

  addMessage(frame) {
    if (frame.seq > this.lastSeq + 1) {
      // A gap: some frames never reached us. Fetch them; the stored order is authoritative.
      this.catchUpSoon();
    }
    if (insertMessage(this.list, frame)) {
      this.lastSeq = Math.max(this.lastSeq, frame.seq);
      if (frame.sender.kind === "visitor") this.typing.textContent = "";
      if ((activeId !== this.id || document.hidden) && frame.sender.kind !== "agent") this.markUnread();
    }
  }

  async catchUp() {
    if (this.catchingUp) return;
    this.catchingUp = true;
    try {
      const messages = await api("GET", `/api/v1/chats/${this.id}/messages/?after_seq=${this.lastSeq}`);
      for (const message of messages) this.addMessage({ ...message, type: "message" });
    } finally {
      this.catchingUp = false;
    }
  }

  catchUpSoon() {
    this.catchUp().catch(() => setTimeout(() => this.catchUpSoon(), 2000));
  }

  // Re-read state and missed messages from the database; retried while the server is unreachable.
  async refresh() {
    try {
      this.chat = await api("GET", `/api/v1/chats/${this.id}/`);
      this.render();
      await this.catchUp();
    } catch (failure) {
      console.warn(`chat ${this.id}: refresh failed, retrying`, failure);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.refresh(), 2000);
    }
  }

  markUnread() {
    this.unread += 1;
    this.badge.textContent = String(this.unread);
    this.badge.hidden = false;
    this.badge.setAttribute("aria-label", `${this.unread} unread`);
  }

  clearUnread() {
    this.unread = 0;
    this.badge.hidden = true;
  }

  showTyping(frame) {
    this.typing.textContent = `${frame.sender.name} is typing…`;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => (this.typing.textContent = ""), TYPING_SHOWN_MS);
  }

  send() {
    const body = this.textarea.value.trim();
    if (!body) return;
    if (body.length > config.maxMessageChars) {
      this.showError(`Messages can be at most ${config.maxMessageChars} characters.`);
      return;
    }
    if (!socket.send({ type: "message.send", chat_id: this.id, body, client_id: newClientId() })) {
      this.showError("Not connected: your message was kept, send it again once reconnected.");
      return;
    }
    this.textarea.value = "";
    this.showError("");
  }

  sendTyping() {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SEND_EVERY_MS || !this.textarea.value.trim()) return;
    this.lastTypingSent = now;
    socket.send({ type: "typing", chat_id: this.id });
  }

  toggleMoreMenu(open = this.moreMenu.hidden) {
    this.moreMenu.hidden = !open;
    this.moreButton.setAttribute("aria-expanded", String(open));
    if (open) this.moreMenu.querySelector(".menu-item:not([hidden])")?.focus();
  }

  // A line above the composer about a transfer or invitation; with a transfer id it offers Withdraw.
  setHandover(text, transferId = null, hideAfterMs = 0) {
    clearTimeout(this.handoverTimer);
    this.pendingTransferId = transferId;
    this.handoverBanner.hidden = !text;
    this.handoverBanner.querySelector(".handover-text").textContent = text || "";
    this.handoverBanner.querySelector(".withdraw-transfer").hidden = !transferId;
    if (hideAfterMs) this.handoverTimer = setTimeout(() => this.setHandover(""), hideAfterMs);
  }

  // The chat goes on without this agent (transferred away, or they left): keep the history.
  makeReadOnly(reason) {
    this.readOnly = true;
    this.readOnlyReason = reason;
    this.setHandover("");
    this.render();
  }

  async refreshParticipants() {
    try {
      this.chat = await api("GET", `/api/v1/chats/${this.id}/`);
      this.render();
    } catch (failure) {
      console.warn(failure);
    }
  }

  toggleEndMenu(open = this.endMenu.hidden) {
    this.endMenu.hidden = !open;
    this.endButton.setAttribute("aria-expanded", String(open));
    if (open) this.endMenu.querySelector(".menu-item").focus();
  }

  end(delaySeconds) {
    this.toggleEndMenu(false);
    socket.send({ type: "chat.end", chat_id: this.id, delay_seconds: delaySeconds });
  }

  showError(text) {
    this.composerError.textContent = text;
    this.composerError.hidden = !text;
  }

  remove() {
    clearInterval(this.countdown);
    this.tab.remove();
    this.panel.remove();
  }
}

function activate(id) {
  activeId = id;
  for (const tab of chats.values()) {
    const selected = tab.id === id;
    tab.tab.setAttribute("aria-selected", String(selected));
    tab.tab.tabIndex = selected ? 0 : -1;
    tab.panel.hidden = !selected;
    if (selected) tab.clearUnread();
  }
  emptyEl.hidden = chats.size > 0;
  const tab = chats.get(id);
  if (tab) {
    reportFailure(showVisitorInfo(tab));
    tab.list.scrollTop = tab.list.scrollHeight;
    if (!tab.composer.hidden) tab.textarea.focus();
  } else {
    document.getElementById("visitor-info").hidden = true;
  }
}

function closeTab(id) {
  const tab = chats.get(id);
  if (!tab) return;
  tab.remove();
  chats.delete(id);
  const next = [...chats.keys()].at(-1);
  activate(next ?? null);
}

tabsEl.addEventListener("keydown", (event) => {
  if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
  const ids = [...chats.keys()];
  const index = ids.indexOf(activeId);
  const next = ids[(index + (event.key === "ArrowRight" ? 1 : -1) + ids.length) % ids.length];
  activate(next);
  chats.get(next).tab.focus();
});

async function openChat(id, { readOnly = false, focus = true } = {}) {
  let tab = chats.get(id);
  if (!tab) {
    const chat = await api("GET", `/api/v1/chats/${id}/`);
    tab = chats.get(id); // another call may have opened it meanwhile
    if (!tab) {
      tab = new ChatTab(chat, { readOnly });
      chats.set(id, tab);
      await tab.catchUp();
    }
  }
  if (focus || activeId === null) activate(id);
  return tab;
}

// Visitor Info -----------------------------------------------------------------------------------

async function showVisitorInfo(tab) {
  const panel = document.getElementById("visitor-info");
  panel.hidden = false;
  const info = await api("GET", `/api/v1/chats/${tab.id}/visitor-info/`);
  if (activeId !== tab.id) return;
  document.getElementById("info-browser").textContent = info.visitor.browser || "Unknown";
  document.getElementById("info-os").textContent = info.visitor.operating_system || "Unknown";
  document.getElementById("info-location").textContent = info.visitor.location || "Unknown";
  const recentChats = document.getElementById("recent-chats");
  recentChats.replaceChildren(
    ...(info.recent_chats.length
      ? info.recent_chats.map((chat) =>
          h(
            "li",
            {},
            h("button", {
              type: "button",
              text: chat.question,
              onclick: () => reportFailure(openChat(chat.id, { readOnly: true })),
            }),
            h("div", { class: "muted", text: `${formatDateTime(chat.started_at)} · ${chat.status}` }),
          ),
        )
      : [h("li", { class: "muted", text: "No earlier chats." })]),
  );
  const recentTickets = document.getElementById("recent-tickets");
  recentTickets.replaceChildren(
    ...(info.recent_tickets.length
      ? info.recent_tickets.map((ticket) =>
          h(
            "li",
            {},
            h("a", { href: ticket.url, text: `#${ticket.id} ${ticket.subject}` }),
            h("div", { class: "muted", text: `${formatDateTime(ticket.created_at)} · ${ticket.status_label}` }),
          ),
        )
      : [h("li", { class: "muted", text: "No tickets yet." })]),
  );
}

// New chat popups ---------------------------------------------------------------------------------

const offers = new Map(); // chat id -> popup element

function showOffer(frame) {
  if (offers.has(frame.chat_id) || chats.has(frame.chat_id)) return;
  const accept = h("button", { type: "button", class: "button primary small", text: "Accept" });
  const note = h("span", { class: "popup-note muted" });
  const popup = h(
    "section",
    { class: "popup", "aria-label": `New chat from ${frame.visitor.name}` },
    h("h2", { text: "New chat" }),
    h("p", { class: "popup-visitor", text: frame.visitor.name }),
    h("p", { class: "popup-question", text: frame.question }),
    h("div", { class: "popup-actions" }, frame.department ? h("span", { class: "popup-department", text: frame.department }) : "", note, accept),
  );
  accept.addEventListener("click", () => {
    accept.disabled = true;
    accept.textContent = "Accepting…";
    if (!socket.send({ type: "chat.accept", chat_id: frame.chat_id })) {
      accept.disabled = false;
      accept.textContent = "Accept";
      note.textContent = "Not connected";
    }
  });
  offers.set(frame.chat_id, popup);
  popupsEl.append(popup);
  if (frame.ring) ringer.ring();
}

function withdrawOffer(chatId, text) {
  const popup = offers.get(chatId);
  if (!popup) return;
  offers.delete(chatId);
  if (!text) {
    popup.remove();
  } else {
    popup.classList.add("gone");
    popup.querySelector(".popup-note").textContent = text;
    popup.querySelector("button").hidden = true;
    setTimeout(() => popup.remove(), 3000);
  }
  if (!offers.size) ringer.stop();
}

// Socket ---------------------------------------------------------------------------------------

const handlers = {
  "chat.offered": showOffer,
  "chat.offer_withdrawn": (frame) => {
    const who = frame.agent && frame.agent.id !== me.id ? frame.agent.name : null;
    const text = frame.reason === "accepted" ? (who ? `Accepted by ${who}` : null) : frame.reason === "missed" ? "The visitor left" : null;
    withdrawOffer(frame.chat_id, text);
  },
  "chat.accepted": async (frame) => {
    if (frame.agent && frame.agent.id === me.id) {
      withdrawOffer(frame.chat_id, null);
      const tab = await openChat(frame.chat_id);
      await tab.refresh();
    } else {
      withdrawOffer(frame.chat_id, `Accepted by ${frame.agent ? frame.agent.name : "another agent"}`);
    }
  },
  message: (frame) => chats.get(frame.chat_id)?.addMessage(frame),
  typing: (frame) => chats.get(frame.chat_id)?.showTyping(frame),
  "chat.ending": (frame) => updateChat(frame.chat_id, { status: "ending", ends_at: frame.ends_at }),
  "chat.end_cancelled": (frame) => updateChat(frame.chat_id, { status: "active", ends_at: null }),
  "chat.ended": async (frame) => {
    updateChat(frame.chat_id, { status: "ended", ticket_id: frame.ticket_id, ended_at: new Date().toISOString() });
    const tab = chats.get(frame.chat_id);
    if (!tab) return;
    await tab.refresh();
    if (activeId === tab.id) await showVisitorInfo(tab); // the new transcript ticket joins Recent Tickets
  },
  "agent.status": (frame) => account.update(frame),
  error: (frame) => {
    if (frame.for_type === "chat.accept") {
      withdrawOffer(frame.chat_id, frame.detail);
      return;
    }
    const tab = chats.get(frame.chat_id) || chats.get(activeId);
    if (tab) tab.showError(frame.detail);
  },
};

// Background work started from events: a failure is logged, never an unhandled rejection.
function reportFailure(promise) {
  if (promise && promise.catch) promise.catch((failure) => console.warn(failure));
}

function updateChat(chatId, changes) {
  const tab = chats.get(chatId);
  if (!tab) return;
  Object.assign(tab.chat, changes);
  tab.render();
}

let connectedOnce = false;
const socket = new ReconnectingSocket(() => wsUrl("/ws/agent/"), {
  onFrame: (frame) => reportFailure(handlers[frame.type]?.(frame)),
  onOpen: async () => {
    if (connectedOnce) {
      // Whatever happened while we were away: state changes and messages, from the database.
      for (const tab of chats.values()) if (!tab.readOnly) tab.refresh();
    }
    connectedOnce = true;
  },
  onState: (state) => {
    connectionEl.hidden = state === "open";
    connectionEl.textContent = state === "refused" ? "Signed out: reload the page" : "Reconnecting…";
  },
});

const handover = setupHandover({ me, popupsEl, tabs: chats, openChat });
for (const [type, handler] of Object.entries(handover.handlers)) handlers[type] = handler;

const account = setupAccountMenu(me, {
  onChange: (settings) => {
    document.getElementById("offline-hint")?.toggleAttribute("hidden", settings.chat_status === "online");
    if (settings.chat_status === "offline") for (const id of [...offers.keys()]) withdrawOffer(id, null);
  },
});

// A click anywhere else closes an open End Session menu.
document.addEventListener("click", (event) => {
  for (const tab of chats.values()) {
    if (!tab.endMenu.hidden && !tab.endMenu.contains(event.target) && !tab.endButton.contains(event.target)) {
      tab.toggleEndMenu(false);
    }
    if (!tab.moreMenu.hidden && !tab.moreMenu.contains(event.target) && !tab.moreButton.contains(event.target)) {
      tab.toggleMoreMenu(false);
    }
  }
});

document.addEventListener("visibilitychange", () => {
  if (!document.hidden) chats.get(activeId)?.clearUnread();
});

for (const id of config.openChatIds) reportFailure(openChat(id, { focus: false }));
