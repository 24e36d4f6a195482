// The Chat Dashboard's tab strip: one ChatTab per open chat, which one is shown, the arrow keys,
// and the chat frames that reach an open tab (message, typing, chat.ending, …).
import { reportFailure } from "../common/router.js";
import { ChatTab } from "./chat-tab.js";
import { VisitorInfo } from "./visitor-info.js";

// `deps`: what every ChatTab gets (see chat-tab.js) less the tab strip's own callbacks, plus the
// page's `emptyEl`. The Visitor Info panel beside the tabs shows the chat in front.
export class ChatTabs {
  constructor({ emptyEl, ...tabDeps }) {
    this.chats = new Map(); // chat id -> ChatTab
    this.activeId = null;
    this.emptyEl = emptyEl;
    this.visitorInfo = new VisitorInfo({
      api: tabDeps.api,
      isCurrent: (id) => this.activeId === id,
      openReadOnly: (id) => reportFailure(this.open(id, { readOnly: true })),
    });
    this.tabDeps = Object.freeze({
      ...tabDeps,
      activate: (id) => this.activate(id),
      close: (id) => this.close(id),
      isShown: (id) => this.activeId === id && !document.hidden,
    });
    tabDeps.tabsEl.addEventListener("keydown", (event) => this.onArrowKey(event));
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.get(this.activeId)?.clearUnread();
    });
  }

  get(id) {
    return this.chats.get(id);
  }

  has(id) {
    return this.chats.has(id);
  }

  values() {
    return this.chats.values();
  }

  async open(id, { readOnly = false, focus = true } = {}) {
    let tab = this.chats.get(id);
    if (!tab) {
      const chat = await this.tabDeps.api("GET", `/api/v1/chats/${id}/`);
      tab = this.chats.get(id); // another call may have opened it meanwhile
      if (!tab) {
        tab = new ChatTab(chat, { readOnly }, this.tabDeps);
        this.chats.set(id, tab);
        await tab.messages.catchUp();
      }
    }
    if (focus || this.activeId === null) this.activate(id);
    return tab;
  }

  activate(id) {
    this.activeId = id;
    for (const tab of this.chats.values()) {
      const selected = tab.id === id;
      tab.tab.setAttribute("aria-selected", String(selected));
      tab.tab.tabIndex = selected ? 0 : -1;
      tab.panel.hidden = !selected;
      if (selected) tab.clearUnread();
    }
    this.emptyEl.hidden = this.chats.size > 0;
    const tab = this.chats.get(id);
    if (tab) {
      reportFailure(this.visitorInfo.show(tab.id));
      tab.list.scrollTop = tab.list.scrollHeight;
      if (!tab.composer.hidden) tab.textarea.focus();
    } else {
      this.visitorInfo.hide();
    }
  }

  // A closed tab's × (or anything else of it) had the focus: it goes to the tab now in front (the
  // next one, else the previous), or with no tab left to the waiting list's heading (the empty
  // dashboard's where there is none), never to the page's body.
  close(id) {
    const tab = this.chats.get(id);
    if (!tab) return;
    const ids = [...this.chats.keys()];
    const index = ids.indexOf(id);
    const hadFocus = tab.tab.contains(document.activeElement) || tab.panel.contains(document.activeElement);
    tab.remove();
    this.chats.delete(id);
    if (this.activeId === id) this.activate(ids[index + 1] ?? ids[index - 1] ?? null);
    if (hadFocus) this.focusAfterClose();
  }

  focusAfterClose() {
    const front = this.chats.get(this.activeId);
    if (front) return front.tab.focus();
    const heading = document.getElementById("waiting-title") || this.emptyEl.querySelector("h2");
    if (!heading) return;
    heading.tabIndex = -1;
    heading.focus();
  }

  onArrowKey(event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const ids = [...this.chats.keys()];
    const index = ids.indexOf(this.activeId);
    const next = ids[(index + (event.key === "ArrowRight" ? 1 : -1) + ids.length) % ids.length];
    this.activate(next);
    this.chats.get(next).tab.focus();
  }

  // After the socket came back: state changes and messages of every chat still taking part.
  refreshAll() {
    for (const tab of this.chats.values()) if (!tab.readOnly) tab.refresh();
  }

  // The frames of chats that have a tab.
  get handlers() {
    const update = (chatId, changes) => this.get(chatId)?.update(changes);
    return {
      message: (frame) => this.get(frame.chat_id)?.addMessage(frame),
      typing: (frame) => this.get(frame.chat_id)?.showTyping(frame),
      "chat.ending": (frame) => update(frame.chat_id, { status: "ending", ends_at: frame.ends_at }),
      "chat.end_cancelled": (frame) => update(frame.chat_id, { status: "active", ends_at: null }),
      "chat.ended": async (frame) => {
        update(frame.chat_id, { status: "ended", ticket_id: frame.ticket_id, ended_at: new Date().toISOString() });
        const tab = this.get(frame.chat_id);
        if (!tab) return;
        await tab.refresh();
        // The new transcript ticket joins Recent Tickets.
        if (this.activeId === tab.id) await this.visitorInfo.show(tab.id);
      },
    };
  }

  // An error frame about a chat (or, without one, the chat in front) shows under its composer.
  showError(frame) {
    const tab = this.get(frame.chat_id) || this.get(this.activeId);
    if (tab) tab.showError(frame.detail);
  }
}
