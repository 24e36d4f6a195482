// One chat of the Chat Dashboard: its tab, its panel (conversation, composer, End Session, More
// Actions, the handover line) and its state. Everything it talks to is passed in as `deps`:
//   me, config            the signed-in agent and the page's settings
//   send(frame)           the agent socket's send; false when not connected
//   api(method, url, …)   the REST client
//   handover              the transfer / invite / leave dialogs (handover-dialogs.js)
//   tabsEl, panelsEl, template
//   activate(id), close(id), isShown(id)   the tab strip (tabs.js)
import { attachComposer, typingIndicator } from "../common/composer.js";
import { countdown, formatDateTime, h, mailtoHref, newClientId, timeElement } from "../common/dom.js";
import { gettext, ngettext, interpolate } from "../common/i18n.js";
import { dropdownMenu } from "../common/menu.js";
import { MessageSequence } from "../common/sequence.js";
import { attachCannedSuggestions } from "./canned.js";

const REFRESH_RETRY_MS = 2000;
const HANDOVER_NOTE_MS = 6000;

export class ChatTab {
  constructor(chat, { readOnly }, deps) {
    this.id = chat.id;
    this.chat = chat;
    this.readOnly = readOnly;
    this.deps = deps;
    this.unread = 0;
    this.buildTab();
    this.buildPanel();
    this.render();
  }

  buildTab() {
    const { activate, close, tabsEl } = this.deps;
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
      "aria-label": interpolate(gettext("Close %(name)s"), { name: this.chat.visitor.name }),
      text: "×",
      hidden: true,
      onclick: (event) => {
        event.stopPropagation();
        close(this.id);
      },
      onkeydown: (event) => {
        if (event.key !== "Enter" && event.key !== " ") return;
        event.preventDefault(); // Space would scroll the page once the tab is gone
        close(this.id);
      },
    });
    this.tab.append(this.closeButton);
    tabsEl.append(this.tab);
  }

  buildPanel() {
    const { template, panelsEl } = this.deps;
    const panel = template.content.firstElementChild.cloneNode(true);
    panel.id = `panel-${this.id}`;
    panel.setAttribute("aria-labelledby", `tab-${this.id}`);
    panel.hidden = true;
    this.panel = panel;
    this.list = panel.querySelector(".conversation");
    this.typing = typingIndicator(panel.querySelector(".typing"));
    this.composer = panel.querySelector(".composer");
    this.composerError = panel.querySelector(".composer-error");
    this.endingBanner = panel.querySelector(".ending-banner");
    this.endedNote = panel.querySelector(".ended-note");
    this.endedNote.tabIndex = -1; // where the focus goes when the chat closes under it
    this.handoverBanner = panel.querySelector(".handover-banner");
    this.messages = new MessageSequence(this.list, {
      fetchAfter: (afterSeq) => this.deps.api("GET", `/api/v1/chats/${this.id}/messages/?after_seq=${afterSeq}`),
      onAdded: (frame) => this.onMessageAdded(frame),
    });
    this.buildMoreActions();
    this.buildComposer();
    this.buildEndSession();
    panelsEl.append(panel);
  }

  buildMoreActions() {
    const { handover } = this.deps;
    this.moreMenu = dropdownMenu(this.panel.querySelector(".more-button"), this.panel.querySelector(".more-menu"));
    this.moreMenu.panel.querySelectorAll("[data-action]").forEach((button) =>
      button.addEventListener("click", () => {
        this.moreMenu.close();
        handover.run(button.dataset.action, this);
      }),
    );
    this.panel.querySelector(".withdraw-transfer").addEventListener("click", async () => {
      try {
        await handover.withdraw(this.pendingTransferId);
      } catch (failure) {
        this.noteHandover(failure.message);
      }
    });
  }

  buildComposer() {
    const { me, config, send } = this.deps;
    // Before the composer: with suggestions open, Enter picks one instead of sending.
    attachCannedSuggestions(this.composer.querySelector("textarea"), {
      department: () => this.chat.department,
      values: () => ({
        "visitor.name": this.chat.visitor.name,
        "visitor.email": this.chat.visitor.email,
        "agent.name": me.name,
        department: this.chat.department_name || "",
      }),
    });
    // "Internal note": what is sent goes to the agents alone (and their typing line too), until
    // unticked; the composer looks different meanwhile.
    this.noteInput = this.composer.querySelector(".note-input");
    const textarea = this.composer.querySelector("textarea");
    const messagePlaceholder = textarea.placeholder;
    this.noteInput.addEventListener("change", () => {
      const note = this.noteInput.checked;
      this.composer.classList.toggle("note-mode", note);
      textarea.placeholder = note ? textarea.dataset.notePlaceholder : messagePlaceholder;
      textarea.focus();
    });
    const internal = () => (this.noteInput.checked ? { internal: true } : {});
    this.textarea = attachComposer(this.composer, {
      maxChars: config.maxMessageChars,
      send: (body) => send({ type: "message.send", chat_id: this.id, body, client_id: newClientId(), ...internal() }),
      typing: () => send({ type: "typing", chat_id: this.id, ...internal() }),
      showError: (text) => this.showError(text),
      notConnected: gettext("Not connected: your message was kept, send it again once reconnected."),
    });
  }

  buildEndSession() {
    const { config, send } = this.deps;
    this.endMenu = dropdownMenu(this.panel.querySelector(".end-button"), this.panel.querySelector(".end-menu"));
    this.endMenu.panel.querySelectorAll("[data-delay]").forEach((button) =>
      button.addEventListener("click", () => this.end(Number(button.dataset.delay))),
    );
    this.endMenu.panel.querySelector(".custom-delay").addEventListener("submit", (event) => {
      event.preventDefault();
      const seconds = Number(event.target.delay.value);
      if (Number.isInteger(seconds) && seconds >= 1 && seconds <= config.maxEndDelay) this.end(seconds);
    });
    this.panel.querySelector(".cancel-end").addEventListener("click", () => {
      send({ type: "chat.cancel_end", chat_id: this.id });
    });
  }

  render() {
    const { chat, panel } = this;
    const wasClosed = this.endedNote && !this.endedNote.hidden;
    const hadFocus = panel.contains(document.activeElement);
    panel.querySelector(".chat-question").textContent = chat.question;
    const started = panel.querySelector(".chat-started");
    started.dateTime = chat.started_at;
    started.textContent = interpolate(gettext("Started %(time)s"), { time: formatDateTime(chat.started_at) });
    panel.querySelector(".chat-visitor-name").textContent = chat.visitor.name;
    const email = panel.querySelector(".chat-visitor-email");
    email.textContent = chat.visitor.email;
    const href = mailtoHref(chat.visitor.email);
    if (href) email.href = href;
    else email.removeAttribute("href");
    const closed = this.isClosed;
    const isOwner = chat.owner && chat.owner.id === this.deps.me.id;
    this.composer.hidden = closed;
    panel.querySelector(".composer-tools").hidden = closed;
    panel.querySelector(".end-session").hidden = closed || !isOwner; // the owner ends it for everyone
    this.moreMenu.panel.querySelector('[data-action="transfer"]').hidden = !isOwner;
    this.moreMenu.panel.querySelector('[data-action="leave"]').hidden = isOwner;
    this.closeButton.hidden = !closed;
    this.state.textContent = chat.status === "ended" ? gettext("Ended") : this.readOnly ? gettext("Read-only") : "";
    this.renderEnding();
    this.endedNote.hidden = !closed;
    if (closed) this.renderEndedNote();
    // The composer or End Session had the focus and is gone: keep it in the chat, on what happened.
    if (closed && !wasClosed && hadFocus) this.endedNote.focus();
  }

  get isClosed() {
    return this.readOnly || this.chat.status === "ended" || this.chat.status === "missed";
  }

  renderEndedNote() {
    const chat = this.chat;
    const state = { ended: gettext("Ended"), missed: gettext("Missed") }[chat.status] || this.readOnlyReason || gettext("Read-only");
    const parts = [h("strong", { text: state })];
    if (chat.ended_at) parts.push(" · ", timeElement(chat.ended_at));
    if (chat.ticket_id) {
      const label = chat.status === "missed" ? gettext("Missed chat ticket #%(id)s") : gettext("Transcript ticket #%(id)s");
      parts.push(" · ", h("a", { href: `/tickets/${chat.ticket_id}/`, text: interpolate(label, { id: chat.ticket_id }) }));
    }
    this.endedNote.replaceChildren(...parts);
  }

  renderEnding() {
    this.stopCountdown?.();
    const ending = this.chat.status === "ending" && this.chat.ends_at && !this.readOnly;
    this.endingBanner.hidden = !ending;
    if (!ending) return;
    const text = this.endingBanner.querySelector(".ending-text");
    this.stopCountdown = countdown(
      this.chat.ends_at,
      (left) => (text.textContent = interpolate(gettext("This chat ends in %(time)s"), { time: left })),
    );
  }

  // A message frame; the sequence drops duplicates and fetches what a gap shows was missed.
  addMessage(frame) {
    this.messages.receive(frame);
  }

  onMessageAdded(frame) {
    if (frame.sender.kind !== "system") this.typing.clear(frame.sender.name); // they stopped typing
    if (!this.deps.isShown(this.id) && frame.sender.kind !== "agent") this.markUnread();
  }

  async reload() {
    this.chat = await this.deps.api("GET", `/api/v1/chats/${this.id}/`);
    this.render();
  }

  // Re-read state and missed messages from the database; retried while the server is unreachable.
  async refresh() {
    try {
      await this.reload();
      await this.messages.catchUp();
    } catch (failure) {
      console.warn(`chat ${this.id}: refresh failed, retrying`, failure);
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.refresh(), REFRESH_RETRY_MS);
    }
  }

  refreshParticipants() {
    this.reload().catch((failure) => console.warn(failure));
  }

  update(changes) {
    Object.assign(this.chat, changes);
    this.render();
  }

  markUnread() {
    this.unread += 1;
    this.badge.textContent = String(this.unread);
    this.badge.hidden = false;
    const count = this.unread;
    this.badge.setAttribute("aria-label", interpolate(ngettext("%(count)s unread", "%(count)s unread", count), { count }));
  }

  clearUnread() {
    this.unread = 0;
    this.badge.hidden = true;
  }

  showTyping(frame) {
    this.typing.show(frame.sender.name);
  }

  // A line above the composer about a transfer or invitation; with a transfer id it offers Withdraw.
  setHandover(text, transferId = null) {
    clearTimeout(this.handoverTimer);
    this.pendingTransferId = transferId;
    this.handoverBanner.hidden = !text;
    this.handoverBanner.querySelector(".handover-text").textContent = text || "";
    this.handoverBanner.querySelector(".withdraw-transfer").hidden = !transferId;
  }

  // The same line for a moment: how a handover ended, or why an action failed.
  noteHandover(text) {
    this.setHandover(text);
    this.handoverTimer = setTimeout(() => this.setHandover(""), HANDOVER_NOTE_MS);
  }

  // The chat goes on without this agent (transferred away, or they left): keep the history.
  makeReadOnly(reason) {
    this.readOnly = true;
    this.readOnlyReason = reason;
    this.setHandover("");
    this.render();
  }

  end(delaySeconds) {
    this.endMenu.close();
    this.deps.send({ type: "chat.end", chat_id: this.id, delay_seconds: delaySeconds });
  }

  showError(text) {
    this.composerError.textContent = text;
    this.composerError.hidden = !text;
  }

  remove() {
    this.stopCountdown?.();
    this.endMenu.close();
    this.moreMenu.close();
    this.tab.remove();
    this.panel.remove();
  }
}
