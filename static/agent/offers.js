// New chats offered to this agent (chat.offered), each shown as a popup with Later and Accept
// until it is accepted, withdrawn or put aside. "Later" keeps the offer (the Chat Dashboard's
// waiting list shows it) and is remembered for this browser tab, so the next page does not pop
// it up again. The ringer plays while any popup is shown. Listeners (the waiting list, the title
// count, desktop notifications) hear of every change.
import { gettext, interpolate } from "../common/i18n.js";
import { PopupStack } from "../common/popups.js";

const ASIDE_KEY = "helpdesk.offersPutAside";
const MAX_PAGES = 20;
// Refusals after which the chat no longer waits for this agent (else it stays, put aside).
const GONE_CODES = new Set(["already_accepted", "chat_closed", "not_found"]);
// Why an offer went, shown on its popup for a moment (chat.offer_withdrawn's reason).
const WITHDRAWN_TEXT = { missed: gettext("The visitor left"), timeout: gettext("Not answered in time: offered to a colleague") };

function loadAside() {
  try {
    return new Set(JSON.parse(sessionStorage.getItem(ASIDE_KEY) || "[]"));
  } catch {
    return new Set();
  }
}

export class Offers {
  // `popupsEl`: where popups stack; `send(frame)`: the agent socket's send; `tabs`: ChatTabs, or
  // the stand-in of pages without tabs (shell.js).
  constructor({ me, popupsEl, send, ringer, tabs }) {
    this.me = me;
    this.popups = new PopupStack(popupsEl); // chat id -> popup
    this.send = send;
    this.ringer = ringer;
    this.tabs = tabs;
    this.waiting = new Map(); // chat id -> its chat.offered frame, shown or put aside
    this.aside = loadAside();
    this.listeners = [];
    this.pending = new Set(); // chat ids to accept once connected
  }

  // `listener`: {offered(frame, {isNew}), gone(chatId, reason), refused(chatId, detail), changed()},
  // each optional.
  listen(listener) {
    this.listeners.push(listener);
  }

  emit(event, ...args) {
    for (const listener of this.listeners) listener[event]?.(...args);
    if (event !== "changed") for (const listener of this.listeners) listener.changed?.();
  }

  get count() {
    return this.waiting.size;
  }

  isShown(chatId) {
    return this.popups.has(chatId);
  }

  show(frame) {
    if (this.tabs.has(frame.chat_id)) return;
    const isNew = !this.waiting.has(frame.chat_id);
    this.waiting.set(frame.chat_id, frame);
    if (!this.aside.has(frame.chat_id)) {
      const popup = this.popups.open(frame.chat_id, {
        label: interpolate(gettext("New chat from %(name)s"), { name: frame.visitor.name }),
        title: gettext("New chat"),
        visitor: frame.visitor.name,
        question: frame.question,
        tag: frame.department_name ?? frame.department,
        actions: [{ text: gettext("Accept"), primary: true, onClick: () => this.accept(frame.chat_id) }],
        onLater: () => this.putAside(frame.chat_id),
      });
      if (popup && frame.ring) this.ringer.ring();
    }
    this.emit("offered", frame, { isNew });
  }

  // Sends chat.accept (from the popup or the waiting list); while the socket is not connected
  // (the page just loaded, or it reconnects) the accept waits and goes once it is (sendPending).
  accept(chatId) {
    const popup = this.popups.popups.get(chatId);
    const button = popup?.buttons.at(-1);
    if (button) {
      button.disabled = true;
      button.textContent = gettext("Accepting…");
    }
    if (!this.send({ type: "chat.accept", chat_id: chatId })) {
      this.pending.add(chatId);
      popup?.setNote(gettext("Connecting…"));
    }
  }

  // After the socket (re)connected.
  sendPending() {
    for (const chatId of this.pending) {
      if (!this.tabs.has(chatId)) this.send({ type: "chat.accept", chat_id: chatId });
    }
    this.pending.clear();
  }

  putAside(chatId, text = null) {
    this.aside.add(chatId);
    this.saveAside();
    this.closePopup(chatId, text);
    this.emit("changed");
  }

  closePopup(chatId, text = null) {
    if (this.popups.close(chatId, text) && !this.popups.size) this.ringer.stop();
  }

  // The chat is no longer offered to this agent. Without `text` its popup goes at once; with it,
  // it shows why for a moment. `reason` as in chat.offer_withdrawn: "offline" and "timeout"
  // leave the chat waiting (for others), which the waiting list still shows.
  withdraw(chatId, text = null, reason = null) {
    this.pending.delete(chatId);
    this.closePopup(chatId, text);
    this.waiting.delete(chatId);
    if (this.aside.delete(chatId)) this.saveAside();
    this.emit("gone", chatId, reason);
  }

  // After the socket reconnected: offers whose chat no longer waits (accepted by someone or
  // missed while this tab could not hear of it) go. Offers that arrive meanwhile stay.
  async reconcile(api) {
    const arrived = new Set();
    const listener = { offered: (frame) => arrived.add(frame.chat_id) };
    this.listen(listener);
    try {
      const stillWaiting = new Set();
      let url = "/api/v1/chats/?status=waiting";
      for (let page = 0; url && page < MAX_PAGES; page += 1) {
        const body = await api("GET", url);
        for (const chat of body.results) stillWaiting.add(chat.id);
        url = body.next;
      }
      for (const chatId of [...this.waiting.keys()]) {
        if (!stillWaiting.has(chatId) && !arrived.has(chatId)) this.withdraw(chatId, null, "gone");
      }
    } finally {
      this.listeners.splice(this.listeners.indexOf(listener), 1);
    }
  }

  withdrawAll(reason = "offline") {
    for (const chatId of [...this.waiting.keys()]) this.withdraw(chatId, null, reason);
  }

  // An error frame answering chat.accept.
  refused(frame) {
    if (GONE_CODES.has(frame.code)) {
      this.withdraw(frame.chat_id, frame.detail);
      return;
    }
    if (this.waiting.has(frame.chat_id)) this.putAside(frame.chat_id, frame.detail);
    this.emit("refused", frame.chat_id, frame.detail);
  }

  saveAside() {
    try {
      sessionStorage.setItem(ASIDE_KEY, JSON.stringify([...this.aside]));
    } catch {
      // storage refused (private mode, quota): "Later" then lasts for this page only
    }
  }

  get handlers() {
    const me = this.me;
    return {
      "chat.offered": (frame) => this.show(frame),
      "chat.offer_withdrawn": (frame) => {
        const who = frame.agent && frame.agent.id !== me.id ? frame.agent.name : null;
        const accepted = who ? interpolate(gettext("Accepted by %(name)s"), { name: who }) : null;
        const text = frame.reason === "accepted" ? accepted : WITHDRAWN_TEXT[frame.reason] || null;
        this.withdraw(frame.chat_id, text, frame.reason);
      },
      "chat.accepted": async (frame) => {
        if (frame.agent && frame.agent.id === me.id) {
          this.withdraw(frame.chat_id);
          const tab = await this.tabs.open(frame.chat_id);
          await tab.refresh();
        } else {
          this.withdraw(
            frame.chat_id,
            frame.agent ? interpolate(gettext("Accepted by %(name)s"), { name: frame.agent.name }) : gettext("Accepted by another agent"),
          );
        }
      },
    };
  }
}
