// The Chat Dashboard's waiting list: every chat waiting in the agent's reach, oldest first, with
// the visitor, the question, the department and how long the visitor has waited (live), each with
// Accept. Read from REST (GET /api/v1/chats/?status=waiting) on load, on every reconnect and now
// and then (chats offered to nobody, e.g. while this agent is Offline or at their limit, come with
// no frame), and kept current from the offers (chat.offered, chat.offer_withdrawn, chat.accepted).
// A chat whose popup is shown is in the popup instead.
import { h } from "../common/dom.js";
import { gettext } from "../common/i18n.js";
import { reportFailure } from "../common/router.js";

const REFRESH_MS = 20_000;
const STILL_WAITING = new Set(["offline", "timeout"]);
const MAX_PAGES = 20;

export function waitedFor(startedAt, now = Date.now()) {
  const seconds = Math.max(0, Math.floor((now - Date.parse(startedAt)) / 1000));
  const [hours, minutes, rest] = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60];
  const two = (n) => String(n).padStart(2, "0");
  return hours ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
}

export class WaitingList {
  // `offers`: Offers; `api`: the REST client; `listEl`, `emptyEl`, `countEl`: the list's elements.
  constructor({ offers, api, listEl, emptyEl, countEl }) {
    Object.assign(this, { offers, api, listEl, emptyEl, countEl });
    this.chats = new Map(); // chat id -> {id, visitorName, question, department, startedAt}
    this.rows = new Map(); // chat id -> {element, button, note, time, startedAt}
    this.goneDuringRefresh = new Set();
    offers.listen({
      offered: (frame) => this.add(fromFrame(frame)),
      // Gone from this agent's screen but still waiting (for others): Offline, or an offer made
      // to this agent alone that moved on (one-at-a-time routing).
      gone: (chatId, reason) => !STILL_WAITING.has(reason) && this.remove(chatId),
      refused: (chatId, detail) => this.refused(chatId, detail),
      changed: () => this.render(),
    });
    setInterval(() => this.tick(), 1000);
    setInterval(() => reportFailure(this.refresh()), REFRESH_MS);
  }

  async refresh() {
    const fetched = new Map();
    this.goneDuringRefresh.clear();
    let url = "/api/v1/chats/?status=waiting";
    for (let page = 0; url && page < MAX_PAGES; page += 1) {
      const body = await this.api("GET", url);
      for (const chat of body.results) fetched.set(chat.id, fromChat(chat));
      url = body.next;
    }
    for (const chatId of this.goneDuringRefresh) fetched.delete(chatId);
    // Offers that came meanwhile stay; whatever else no longer waits goes.
    for (const [chatId, frame] of this.offers.waiting) if (!fetched.has(chatId)) fetched.set(chatId, fromFrame(frame));
    this.chats = fetched;
    this.render();
  }

  add(chat) {
    this.chats.set(chat.id, chat);
    this.render();
  }

  remove(chatId) {
    this.goneDuringRefresh.add(chatId);
    this.chats.delete(chatId);
    this.render();
  }

  refused(chatId, detail) {
    const row = this.rows.get(chatId);
    if (!row) return;
    row.button.disabled = false;
    row.button.textContent = gettext("Accept");
    row.note.textContent = detail;
  }

  accept(chatId) {
    const row = this.rows.get(chatId);
    row.note.textContent = "";
    row.button.disabled = true;
    row.button.textContent = gettext("Accepting…");
    this.offers.accept(chatId);
  }

  render() {
    const listed = [...this.chats.values()]
      .filter((chat) => !this.offers.isShown(chat.id))
      .sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt));
    for (const [chatId, row] of this.rows) {
      if (!listed.some((chat) => chat.id === chatId)) {
        row.element.remove();
        this.rows.delete(chatId);
      }
    }
    for (const chat of listed) this.listEl.append(this.rows.get(chat.id)?.element || this.row(chat));
    this.emptyEl.hidden = listed.length > 0;
    this.emptyEl.textContent = this.chats.size ? gettext("Every chat waiting is in a popup above.") : gettext("No chats waiting.");
    this.countEl.textContent = this.chats.size ? String(this.chats.size) : "";
    this.tick();
  }

  row(chat) {
    const time = h("time", { class: "waited", datetime: chat.startedAt, title: gettext("Waiting for") });
    const button = h("button", { type: "button", class: "button primary small", text: gettext("Accept"), onclick: () => this.accept(chat.id) });
    const note = h("span", { class: "waiting-note muted", role: "status" });
    const element = h(
      "li",
      { class: "waiting-item" },
      h(
        "p",
        { class: "waiting-visitor" },
        h("strong", { text: chat.visitorName }),
        " ",
        h("span", { class: "visually-hidden", text: gettext("waiting for") }),
        time,
      ),
      h("p", { class: "waiting-question", text: chat.question }),
      h("p", { class: "waiting-actions" }, h("span", { class: "waiting-department", text: chat.department }), note, button),
    );
    this.rows.set(chat.id, { element, button, note, time, startedAt: chat.startedAt });
    return element;
  }

  tick() {
    const now = Date.now();
    for (const row of this.rows.values()) row.time.textContent = waitedFor(row.startedAt, now);
  }
}

function fromFrame(frame) {
  return {
    id: frame.chat_id,
    visitorName: frame.visitor.name,
    question: frame.question,
    department: frame.department_name ?? frame.department ?? gettext("All departments"),
    startedAt: frame.started_at,
  };
}

function fromChat(chat) {
  return {
    id: chat.id,
    visitorName: chat.visitor.name,
    question: chat.question,
    department: chat.department_name ?? gettext("All departments"),
    startedAt: chat.started_at,
  };
}
