// The Visitor Info panel beside the chat in front: Recent Chats (by e-mail; one opens read-only),
// Recent Tickets, Browser, Operating System, Location. On a narrow screen it folds away: each
// chat's Visitor Info button (.info-toggle) unfolds it over the chat; Hide (.info-fold), Escape or
// that button again folds it.
import { h, timeElement } from "../common/dom.js";
import { gettext } from "../common/i18n.js";

export class VisitorInfo {
  // `isCurrent(chatId)`: whether that chat is still in front when its answer comes back.
  constructor({ api, isCurrent, openReadOnly }) {
    this.api = api;
    this.isCurrent = isCurrent;
    this.openReadOnly = openReadOnly;
    this.panel = document.getElementById("visitor-info");
    document.getElementById("panels").addEventListener("click", (event) => {
      if (event.target.closest(".info-toggle")) this.unfold(!this.unfolded);
    });
    const fold = () => {
      this.unfold(false);
      document.querySelector(".chat-panel:not([hidden]) .info-toggle")?.focus();
    };
    this.panel.querySelector(".info-fold").addEventListener("click", fold);
    this.panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.unfolded) fold();
    });
  }

  get unfolded() {
    return this.panel.classList.contains("unfolded");
  }

  // Shown over the chat (narrow screens only: wider, the panel is always beside it).
  unfold(open) {
    this.panel.classList.toggle("unfolded", open);
    this.syncToggles();
    if (open) this.panel.querySelector("h2").focus();
  }

  syncToggles() {
    for (const button of document.querySelectorAll(".info-toggle")) button.setAttribute("aria-expanded", String(this.unfolded));
  }

  hide() {
    this.panel.hidden = true;
  }

  async show(chatId) {
    this.panel.hidden = false;
    this.syncToggles(); // a tab opened since has its own button
    const info = await this.api("GET", `/api/v1/chats/${chatId}/visitor-info/`);
    if (!this.isCurrent(chatId)) return;
    document.getElementById("info-browser").textContent = info.visitor.browser || gettext("Unknown");
    document.getElementById("info-os").textContent = info.visitor.operating_system || gettext("Unknown");
    document.getElementById("info-location").textContent = info.visitor.location || gettext("Unknown");
    fillList(document.getElementById("recent-chats"), info.recent_chats, gettext("No earlier chats."), (chat) => [
      h("button", { type: "button", text: chat.question, onclick: () => this.openReadOnly(chat.id) }),
      h("div", { class: "muted" }, timeElement(chat.started_at), ` · ${chat.status}`),
    ]);
    fillList(document.getElementById("recent-tickets"), info.recent_tickets, gettext("No tickets yet."), (ticket) => [
      h("a", { href: ticket.url, text: `#${ticket.id} ${ticket.subject}` }),
      h("div", { class: "muted" }, timeElement(ticket.created_at), ` · ${ticket.status_label}`),
    ]);
  }
}

function fillList(list, items, emptyText, itemParts) {
  list.replaceChildren(
    ...(items.length ? items.map((item) => h("li", {}, itemParts(item))) : [h("li", { class: "muted", text: emptyText })]),
  );
}
