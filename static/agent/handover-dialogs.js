// More Actions → Transfer this Chat / Invite other Agents / Leave chat, for the chat of a tab.
// Actions go through the REST API; what happened comes back over the agent socket (handover.js).
import { h } from "../common/dom.js";
import { gettext, ngettext, interpolate } from "../common/i18n.js";
import { agentFromTopbar } from "./shell.js";

// `api(method, url, body)`: the REST client; `me`: the signed-in agent, left out of the lists. The
// tab passed to run() is a ChatTab: the outcome is written on its handover line (setHandover,
// noteHandover) or it turns read-only (makeReadOnly).
export function setupHandoverDialogs({ api, me = agentFromTopbar() }) {
  const transferDialog = document.getElementById("transfer-dialog");
  const inviteDialog = document.getElementById("invite-dialog");
  const departmentSelect = transferDialog.querySelector("#transfer-department");
  requireAgents(transferDialog, gettext("Choose the agent to transfer the chat to."));
  requireAgents(inviteDialog, gettext("Choose at least one agent to invite."));

  // Choosing agents ---------------------------------------------------------------------------

  // Every colleague of the department(s), each with their presence: those available for chat
  // (GET /agents/available/: Online, connected, under their limit) can be chosen; the others are
  // listed disabled, saying why (Away, Offline, or Online with no room for another chat).
  let fillCount = 0; // a department chosen again before the lists came: only the last call fills
  async function fillChoices(dialog, { multiple, department }) {
    const call = ++fillCount;
    const fieldset = dialog.querySelector(".agent-choices");
    const query = department ? `?department=${encodeURIComponent(department)}` : "";
    const [agents, colleagues] = await Promise.all([
      api("GET", `/api/v1/agents/available/${query}`),
      api("GET", "/api/v1/agents/"),
    ]);
    if (call !== fillCount) return agents;
    const available = new Set(agents.map((agent) => agent.id));
    const unavailable = colleagues.filter(
      (agent) =>
        agent.id !== me.id &&
        agent.chat_enabled && // not a chat agent at all: nothing to transfer to them, ever
        !available.has(agent.id) &&
        (!department || agent.departments.includes(department)),
    );
    // Grouped by department: pick an agent, or first a department and then an agent under it.
    const groups = new Map();
    for (const agent of [...agents, ...unavailable]) {
      for (const slug of agent.departments.length ? agent.departments : [""]) {
        if (department && slug !== department) continue;
        if (!groups.has(slug)) groups.set(slug, []);
        groups.get(slug).push(agent);
      }
    }
    const names = departmentNames();
    const seen = new Set();
    const choice = (slug, agent) => {
      const id = `${dialog.id}-agent-${agent.id}-${slug}`;
      const selectable = available.has(agent.id);
      const duplicate = seen.has(agent.id);
      seen.add(agent.id);
      return h(
        "label",
        { for: id, class: selectable ? null : "unavailable" },
        h("input", {
          id,
          type: multiple ? "checkbox" : "radio",
          name: "agent",
          value: agent.id,
          disabled: !selectable,
          "data-duplicate": duplicate ? "1" : null,
          onchange: (event) => {
            syncDuplicates(fieldset, event.target);
            showDialogError(dialog, "");
          },
        }),
        h("span", { class: "agent-name", text: agent.name }),
        presenceNote(agent, selectable),
      );
    };
    fieldset.replaceChildren(
      ...(agents.length ? [] : [h("p", { class: "muted", text: gettext("No other agent is available for chat right now.") })]),
      ...[...groups.entries()].flatMap(([slug, members]) => [
        h("h3", { text: names.get(slug) || gettext("No department") }),
        ...members.map((agent) => choice(slug, agent)),
      ]),
    );
    return agents;
  }

  // A dot for the presence and the same in words (the dot is never the only sign).
  function presenceNote(agent, selectable) {
    const count = agent.active_chats;
    const words = {
      online: selectable
        ? interpolate(ngettext("Online · %(count)s chat", "Online · %(count)s chats", count), { count })
        : gettext("Online · No room"),
      away: gettext("Away"),
      offline: gettext("Offline"),
    };
    const presence = words[agent.presence] ? agent.presence : "offline";
    return h(
      "span",
      { class: "presence muted" },
      h("span", { class: `presence-dot ${presence}`, "aria-hidden": "true" }),
      words[presence],
    );
  }

  // An agent in two departments is listed twice; both entries mean the same choice.
  function syncDuplicates(fieldset, input) {
    for (const other of fieldset.querySelectorAll(`input[value="${input.value}"]`)) {
      if (other !== input && input.type === "checkbox") other.checked = input.checked;
    }
  }

  function departmentNames() {
    return new Map([...departmentSelect.options].filter((o) => o.value).map((o) => [o.value, o.textContent]));
  }

  async function loadDepartments() {
    if (departmentSelect.options.length > 1) return;
    for (const department of await api("GET", "/api/v1/departments/")) {
      departmentSelect.append(h("option", { value: department.slug, text: department.name }));
    }
  }

  // Send with nobody chosen keeps the dialog open and says so (the form would close it silently).
  function requireAgents(dialog, message) {
    dialog.querySelector("form").addEventListener("submit", (event) => {
      if (event.submitter?.value !== "send" || chosen(dialog).length) return;
      event.preventDefault();
      showDialogError(dialog, message);
      dialog.querySelector("input[name=agent]:enabled")?.focus();
    });
  }

  function showDialogError(dialog, text) {
    const error = dialog.querySelector(".form-error");
    error.textContent = text;
    error.hidden = !text;
  }

  function chosen(dialog) {
    return [...new Set([...dialog.querySelectorAll("input[name=agent]:checked")].map((input) => Number(input.value)))];
  }

  // The actions ------------------------------------------------------------------------------

  async function openTransfer(tab) {
    await loadDepartments();
    departmentSelect.value = "";
    departmentSelect.onchange = () => fillChoices(transferDialog, { multiple: false, department: departmentSelect.value });
    transferDialog.querySelector("#transfer-note").value = "";
    showDialogError(transferDialog, "");
    await fillChoices(transferDialog, { multiple: false, department: "" });
    transferDialog.onclose = async () => {
      if (transferDialog.returnValue !== "send") return;
      const [agentId] = chosen(transferDialog);
      if (!agentId) return;
      const body = { agent: agentId, note: transferDialog.querySelector("#transfer-note").value };
      if (departmentSelect.value) body.department = departmentSelect.value;
      try {
        const transfer = await api("POST", `/api/v1/chats/${tab.id}/transfer/`, body);
        tab.setHandover(interpolate(gettext("Waiting for %(name)s to accept the transfer…"), { name: transfer.to_agent.name }), transfer.id);
      } catch (failure) {
        tab.noteHandover(failure.message);
      }
    };
    transferDialog.showModal();
  }

  async function openInvite(tab) {
    await loadDepartments(); // the group headings are the departments' names
    inviteDialog.querySelector("#invite-note").value = "";
    showDialogError(inviteDialog, "");
    await fillChoices(inviteDialog, { multiple: true });
    inviteDialog.onclose = async () => {
      if (inviteDialog.returnValue !== "send") return;
      const agents = chosen(inviteDialog);
      if (!agents.length) return;
      try {
        const result = await api("POST", `/api/v1/chats/${tab.id}/invite/`, {
          agents,
          note: inviteDialog.querySelector("#invite-note").value,
        });
        const names = result.invitations.map((invitation) => invitation.invitee.name).join(", ");
        tab.noteHandover(interpolate(gettext("Invited %(names)s; waiting for an answer…"), { names }));
      } catch (failure) {
        tab.noteHandover(failure.message);
      }
    };
    inviteDialog.showModal();
  }

  async function leave(tab) {
    try {
      await api("POST", `/api/v1/chats/${tab.id}/leave/`);
      tab.makeReadOnly(gettext("You left this chat"));
    } catch (failure) {
      tab.noteHandover(failure.message);
    }
  }

  const actions = Object.freeze({ transfer: openTransfer, invite: openInvite, leave });
  return Object.freeze({
    run: (action, tab) => actions[action](tab),
    withdraw: (transferId) => api("POST", `/api/v1/transfers/${transferId}/withdraw/`),
  });
}
