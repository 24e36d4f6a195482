// The live monitor (managers: chat.monitor_chats). Waiting chats with how long each has waited,
// active chats by agent, and every agent's chat status, presence and open chats against their
// limit, kept current over the agent socket with no polling: `monitor.subscribe` answers with
// `monitor.state`, then `monitor.chat` and `monitor.agent` frames follow every change
// (docs/protocol.md, "Live monitor"). From here a manager sets an agent Offline, watches a chat
// read-only (`monitor.watch`: its messages as its agents get them) and reassigns a chat to an
// available agent (REST: /api/v1/monitor/…, docs/api.md). In a watched chat that is active or
// ending the manager may add an internal note (`message.send` with `internal: true`): only the
// agents see it. The note composer sends no typing frames (a watcher's are refused).
import { api } from "../common/api.js";
import { attachComposer, typingIndicator } from "../common/composer.js";
import { h, newClientId } from "../common/dom.js";
import { gettext, interpolate } from "../common/i18n.js";
import { reportFailure } from "../common/router.js";
import { MessageSequence } from "../common/sequence.js";
import { startAgentShell } from "./shell.js";
import { waitedFor } from "./waiting-list.js";

const OPEN = new Set(["active", "ending"]);
const STATUS_TEXT = { online: gettext("Online"), offline: gettext("Offline") };
const PRESENCE_TEXT = { online: gettext("Online"), away: gettext("Away"), offline: gettext("Offline") };
const CLOSED_TEXT = { ended: gettext("This chat has ended."), missed: gettext("This chat was missed.") };
const config = JSON.parse(document.getElementById("config").textContent);

function departmentOf(chat) {
  return chat.department_name ?? gettext("All departments");
}

function agentName(agent) {
  return agent ? agent.name : "—";
}

// A table body whose rows follow `items` (each with an id) in order; a row is built once and
// updated in place, so that the button in it that has the focus keeps it.
class Rows {
  constructor(tbody, { build, update }) {
    Object.assign(this, { tbody, build, update });
    this.rows = new Map(); // id -> {tr, ...parts}
  }

  sync(items) {
    const ids = new Set(items.map((item) => item.id));
    for (const [id, row] of this.rows) {
      if (!ids.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    items.forEach((item, index) => {
      let row = this.rows.get(item.id);
      if (!row) {
        row = this.build(item);
        this.rows.set(item.id, row);
      }
      this.update(row, item);
      if (this.tbody.children[index] !== row.tr) this.tbody.insertBefore(row.tr, this.tbody.children[index] || null);
    });
  }

  get(id) {
    return this.rows.get(id);
  }
}

// A chat watched read-only: its conversation as it happens; the only thing written in it is an
// internal note, which the visitor never sees.
class WatchPanel {
  constructor({ send, onClose }) {
    this.send = send;
    this.onClose = onClose;
    this.el = document.getElementById("watch");
    this.title = document.getElementById("watch-title");
    this.meta = this.el.querySelector(".watch-meta");
    this.list = this.el.querySelector(".conversation");
    this.ended = this.el.querySelector(".watch-ended");
    this.typing = typingIndicator(this.el.querySelector(".typing"));
    this.chatId = null;
    document.getElementById("watch-close").addEventListener("click", () => this.close());
    this.buildNotes();
  }

  buildNotes() {
    this.notes = document.getElementById("watch-notes");
    this.noteError = this.notes.querySelector(".watch-note-error");
    this.pendingNotes = new Map(); // client_id -> body, until stored or refused
    this.noteBox = attachComposer(this.notes.querySelector("form"), {
      maxChars: config.maxMessageChars,
      send: (body) => {
        const clientId = newClientId();
        const sent = this.send({ type: "message.send", chat_id: this.chatId, body, client_id: clientId, internal: true });
        if (sent) this.pendingNotes.set(clientId, body);
        return sent;
      },
      typing: () => {}, // a watcher does not take part: no typing line
      showError: (text) => this.showNoteError(text),
      notConnected: gettext("Not connected: your note was kept, add it again once reconnected."),
    });
  }

  showNoteError(text) {
    this.noteError.textContent = text;
    this.noteError.hidden = !text;
  }

  // An error frame about a note sent from here: said in the panel, the note back in the box.
  // Returns whether it was one.
  noteFailed(frame) {
    if (frame.for_type !== "message.send" || !this.pendingNotes.has(frame.client_id)) return false;
    const body = this.pendingNotes.get(frame.client_id);
    this.pendingNotes.delete(frame.client_id);
    if (frame.chat_id === this.chatId && !this.noteBox.value.trim()) this.noteBox.value = body;
    this.showNoteError(frame.detail);
    return true;
  }

  open(chat) {
    if (this.chatId !== chat.id) {
      if (this.chatId !== null) this.send({ type: "monitor.unwatch", chat_id: this.chatId });
      this.chatId = chat.id;
      this.list.replaceChildren();
      this.typing.clear();
      this.noteBox.value = "";
      this.pendingNotes.clear();
      this.showNoteError("");
      // The socket replays what a gap missed: asking again with after_seq sends it as frames.
      this.sequence = new MessageSequence(this.list, {
        fetchAfter: async (afterSeq) => {
          this.watch(afterSeq);
          return [];
        },
        onAdded: (frame) => frame.sender.kind !== "system" && this.typing.clear(frame.sender.name),
      });
      this.watch(0);
    }
    this.show(chat);
    this.el.hidden = false;
    this.title.focus();
  }

  watch(afterSeq) {
    this.send({ type: "monitor.watch", chat_id: this.chatId, after_seq: afterSeq });
  }

  // After a reconnect: the new socket watches again, from the last message held.
  rewatch() {
    if (this.chatId !== null) this.watch(this.sequence.lastSeq);
  }

  show(chat) {
    if (chat.id !== this.chatId) return;
    this.title.textContent = interpolate(gettext("%(name)s: %(question)s"), { name: chat.visitor.name, question: chat.question });
    const people = chat.participants.length ? chat.participants.map((agent) => agent.name).join(", ") : gettext("Nobody yet");
    this.meta.textContent = `${departmentOf(chat)} · ${interpolate(gettext("Agents: %(names)s"), { names: people })}`;
    const closed = CLOSED_TEXT[chat.status];
    this.ended.hidden = !closed;
    this.ended.textContent = closed || "";
    // Notes go into an active or ending chat only (not a waiting one, not a closed one).
    const notable = OPEN.has(chat.status);
    if (!notable && this.notes.contains(document.activeElement)) this.title.focus();
    this.notes.hidden = !notable;
  }

  message(frame) {
    if (frame.chat_id !== this.chatId) return;
    if (frame.client_id) this.pendingNotes.delete(frame.client_id);
    this.sequence.receive(frame);
  }

  showTyping(frame) {
    if (frame.chat_id === this.chatId) this.typing.show(frame.sender.name);
  }

  close() {
    if (this.chatId === null) return;
    const chatId = this.chatId;
    this.send({ type: "monitor.unwatch", chat_id: chatId });
    this.chatId = null;
    this.el.hidden = true;
    this.onClose(chatId);
  }
}

class Monitor {
  constructor() {
    this.chats = new Map(); // chat id -> the monitor's chat (waiting, active or ending)
    this.agents = new Map(); // agent id -> the monitor's agent
    this.statusEl = document.getElementById("monitor-status");
    this.errorEl = document.getElementById("monitor-error");
    this.waiting = new Rows(document.getElementById("monitor-waiting"), {
      build: (chat) => this.chatRow(chat, { waiting: true }),
      update: (row, chat) => this.updateChatRow(row, chat),
    });
    this.active = new Rows(document.getElementById("monitor-active"), {
      build: (chat) => this.chatRow(chat, { waiting: false }),
      update: (row, chat) => this.updateChatRow(row, chat),
    });
    this.agentRows = new Rows(document.getElementById("monitor-agents"), {
      build: (agent) => this.agentRow(agent),
      update: (row, agent) => this.updateAgentRow(row, agent),
    });
    const shell = startAgentShell({
      handlers: this.handlers,
      onOpen: () => this.subscribe(),
      onError: (frame) => this.watchPanel.noteFailed(frame) || this.showError(frame.detail),
    });
    this.send = shell.send;
    this.watchPanel = new WatchPanel({
      send: (frame) => this.send(frame),
      onClose: (chatId) => (this.waiting.get(chatId) || this.active.get(chatId))?.watchButton.focus(),
    });
    this.dialog = new ReassignDialog({ monitor: this });
    setInterval(() => this.tick(), 1000);
  }

  get handlers() {
    return {
      "monitor.state": (frame) => this.applyState(frame),
      "monitor.chat": (frame) => this.applyChat(frame.chat),
      "monitor.agent": (frame) => this.applyAgent(frame.agent),
      "monitor.watching": (frame) => this.watchPanel.show(frame.chat),
      message: (frame) => this.watchPanel.message(frame),
      typing: (frame) => this.watchPanel.showTyping(frame),
    };
  }

  subscribe() {
    this.send({ type: "monitor.subscribe" });
    this.watchPanel.rewatch();
  }

  applyState(frame) {
    this.chats = new Map([...frame.waiting, ...frame.active].map((chat) => [chat.id, chat]));
    this.agents = new Map(frame.agents.map((agent) => [agent.id, agent]));
    this.statusEl.textContent = gettext("Live: updated as chats and agents change.");
    this.render();
  }

  applyChat(chat) {
    if (chat.status === "waiting" || OPEN.has(chat.status)) this.chats.set(chat.id, chat);
    else this.chats.delete(chat.id);
    this.watchPanel.show(chat);
    this.render();
  }

  applyAgent(agent) {
    this.agents.set(agent.id, agent);
    this.render();
  }

  render() {
    const chats = [...this.chats.values()];
    const byStart = (a, b) => Date.parse(a.started_at) - Date.parse(b.started_at);
    const waiting = chats.filter((chat) => chat.status === "waiting").sort(byStart);
    const active = chats
      .filter((chat) => OPEN.has(chat.status))
      .sort((a, b) => agentName(a.owner).localeCompare(agentName(b.owner)) || byStart(a, b));
    this.waiting.sync(waiting);
    this.active.sync(active);
    this.agentRows.sync([...this.agents.values()].sort((a, b) => a.name.localeCompare(b.name)));
    // An empty table is not shown: its section says there is nothing instead.
    for (const [name, items] of [["waiting", waiting], ["active", active]]) {
      document.getElementById(`monitor-${name}-empty`).hidden = items.length > 0;
      document.getElementById(`monitor-${name}`).closest("table").hidden = items.length === 0;
    }
    document.getElementById("monitor-waiting-count").textContent = waiting.length ? String(waiting.length) : "";
    document.getElementById("monitor-active-count").textContent = active.length ? String(active.length) : "";
    this.tick();
  }

  tick() {
    const now = Date.now();
    for (const time of document.querySelectorAll(".monitor time[data-since]")) time.textContent = waitedFor(time.dateTime, now);
  }

  chatRow(chat, { waiting }) {
    const row = {
      visitor: h("strong"),
      email: h("div", { class: "muted small" }),
      question: h("td", { class: "monitor-question" }),
      department: h("td"),
      since: h("time", { class: "waited", "data-since": "" }),
      state: h("div", { class: "muted small" }),
      owner: h("td"),
      watchButton: h("button", { type: "button", class: "button small", text: gettext("Watch"), onclick: () => this.watch(chat.id) }),
      reassignButton: h("button", {
        type: "button",
        class: "button small",
        text: waiting ? gettext("Assign…") : gettext("Reassign…"),
        onclick: () => this.dialog.open(this.chats.get(chat.id)),
      }),
    };
    const cells = [
      h("td", {}, row.visitor, row.email),
      row.question,
      row.department,
      h("td", {}, row.since, row.state),
      h("td", { class: "row-actions" }, row.watchButton, " ", row.reassignButton),
    ];
    row.tr = h("tr", { "data-chat-id": chat.id }, waiting ? cells : [row.owner, ...cells]);
    return row;
  }

  updateChatRow(row, chat) {
    const name = chat.visitor.name;
    row.visitor.textContent = name;
    row.email.textContent = chat.visitor.email;
    row.question.textContent = chat.question;
    row.department.textContent = departmentOf(chat);
    row.since.dateTime = chat.accepted_at || chat.started_at;
    row.state.textContent = chat.status === "ending" ? gettext("Ending") : "";
    const others = chat.participants.filter((agent) => !chat.owner || agent.id !== chat.owner.id);
    const owner = [h("strong", { text: agentName(chat.owner) })];
    if (others.length) {
      const names = others.map((agent) => agent.name).join(", ");
      owner.push(h("div", { class: "muted small", text: interpolate(gettext("with %(names)s"), { names }) }));
    }
    row.owner.replaceChildren(...owner);
    row.watchButton.setAttribute("aria-label", interpolate(gettext("Watch the chat with %(name)s"), { name }));
    const verb = chat.status === "waiting" ? gettext("Assign the chat with %(name)s") : gettext("Reassign the chat with %(name)s");
    row.reassignButton.setAttribute("aria-label", interpolate(verb, { name }));
  }

  agentRow(agent) {
    const row = {
      name: h("td"),
      status: h("td"),
      presence: h("td"),
      load: h("td"),
      departments: h("td"),
      offlineButton: h("button", { type: "button", class: "button small danger", text: gettext("Set Offline"), onclick: () => this.setOffline(agent.id) }),
    };
    row.tr = h(
      "tr",
      { "data-agent-id": agent.id },
      row.name,
      row.status,
      row.presence,
      row.load,
      row.departments,
      h("td", { class: "row-actions" }, row.offlineButton),
    );
    return row;
  }

  updateAgentRow(row, agent) {
    row.name.textContent = agent.name;
    const status = agent.chat_enabled ? agent.chat_status : "offline";
    row.status.replaceChildren(
      h("span", { class: `status-dot ${status}`, "aria-hidden": "true" }),
      agent.chat_enabled ? STATUS_TEXT[agent.chat_status] : gettext("Not enabled for chat"),
    );
    row.presence.replaceChildren(
      h("span", { class: `presence-dot ${agent.presence}`, "aria-hidden": "true" }),
      " ",
      PRESENCE_TEXT[agent.presence] || agent.presence,
    );
    row.load.textContent = interpolate(gettext("%(active)s of %(max)s"), { active: agent.active_chats, max: agent.max_chats });
    row.departments.textContent = (agent.department_names || agent.departments).join(", ") || "—";
    const canGoOffline = agent.chat_enabled && agent.chat_status === "online";
    if (!canGoOffline && row.offlineButton === document.activeElement) {
      // The button goes: the focus stays in the table's section, on its heading.
      const heading = document.getElementById("monitor-agents-title");
      heading.tabIndex = -1;
      heading.focus();
    }
    row.offlineButton.hidden = !canGoOffline;
    row.offlineButton.disabled = false;
    row.offlineButton.setAttribute("aria-label", interpolate(gettext("Set %(name)s Offline"), { name: agent.name }));
  }

  watch(chatId) {
    this.showError("");
    const chat = this.chats.get(chatId);
    if (chat) this.watchPanel.open(chat);
  }

  async setOffline(agentId) {
    const row = this.agentRows.get(agentId);
    row.offlineButton.disabled = true;
    this.showError("");
    try {
      this.applyAgent(await api("POST", `/api/v1/monitor/agents/${agentId}/chat-status/`, { chat_status: "offline" }));
    } catch (failure) {
      row.offlineButton.disabled = false;
      this.showError(failure.message);
    }
  }

  showError(text) {
    this.errorEl.textContent = text || "";
    this.errorEl.hidden = !text;
  }

  // Agents who can take a chat now: enabled, Online, present and under their limit.
  availableAgents(chat) {
    return [...this.agents.values()]
      .filter(
        (agent) =>
          agent.chat_enabled &&
          agent.chat_status === "online" &&
          agent.presence === "online" &&
          agent.active_chats < agent.max_chats &&
          (!chat.owner || agent.id !== chat.owner.id),
      )
      .sort((a, b) => a.name.localeCompare(b.name));
  }
}

// Assign… / Reassign…: choose an available agent; the chat moves at once (POST …/reassign/).
class ReassignDialog {
  constructor({ monitor }) {
    this.monitor = monitor;
    this.dialog = document.getElementById("reassign-dialog");
    this.form = this.dialog.querySelector("form");
    this.choices = this.dialog.querySelector(".agent-choices");
    this.error = this.dialog.querySelector(".form-error");
    this.form.addEventListener("submit", (event) => {
      if (event.submitter?.value !== "send") return; // Cancel closes the dialog
      event.preventDefault();
      reportFailure(this.submit());
    });
  }

  open(chat) {
    if (!chat) return;
    this.chat = chat;
    const what = chat.status === "waiting" ? gettext("Assign the chat with %(name)s to…") : gettext("Reassign the chat with %(name)s to…");
    this.dialog.querySelector("#reassign-chat").textContent = interpolate(what, { name: chat.visitor.name });
    const agents = this.monitor.availableAgents(chat);
    this.choices.replaceChildren(
      ...agents.map((agent) =>
        h(
          "label",
          {},
          h("input", { type: "radio", name: "reassign-agent", value: agent.id }),
          ` ${agent.name} `,
          h("span", { class: "muted", text: interpolate(gettext("%(active)s of %(max)s chats"), { active: agent.active_chats, max: agent.max_chats }) }),
        ),
      ),
    );
    if (!agents.length) this.choices.append(h("p", { class: "muted", text: gettext("No agent is available for chat now.") }));
    this.setError("");
    this.dialog.showModal();
  }

  setError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  async submit() {
    const chosen = this.choices.querySelector("input:checked");
    if (!chosen) {
      this.setError(gettext("Choose the agent to give the chat to."));
      return;
    }
    const button = this.form.querySelector('button[value="send"]');
    button.disabled = true;
    try {
      const chat = await api("POST", `/api/v1/monitor/chats/${this.chat.id}/reassign/`, { agent: Number(chosen.value) });
      this.dialog.close();
      this.monitor.applyChat(chat);
    } catch (failure) {
      this.setError(failure.message);
    } finally {
      button.disabled = false;
    }
  }
}

new Monitor();
