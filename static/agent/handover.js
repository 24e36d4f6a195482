// More Actions → Transfer this Chat / Invite other Agents / Leave chat, and the popups a
// receiving agent answers with Accept or Decline. Actions go through the REST API; what
// happened comes back over the agent socket (transfer.*, invitation.*, participant.*).
import { api } from "../common/api.js";
import { h } from "../common/dom.js";

const NOTE_SHOWN_MS = 6000;

export function setupHandover({ me, popupsEl, tabs, openChat }) {
  const transferDialog = document.getElementById("transfer-dialog");
  const inviteDialog = document.getElementById("invite-dialog");
  const popups = new Map(); // "transfer:<id>" | "invitation:<id>" -> popup

  // Choosing agents ---------------------------------------------------------------------------

  async function fillChoices(dialog, { multiple, department }) {
    const fieldset = dialog.querySelector(".agent-choices");
    const query = department ? `?department=${encodeURIComponent(department)}` : "";
    const agents = await api("GET", `/api/v1/agents/available/${query}`);
    if (!agents.length) {
      fieldset.replaceChildren(h("p", { class: "muted", text: "No other agent is available for chat right now." }));
      return agents;
    }
    // Grouped by department: pick an agent, or first a department and then an agent under it.
    const groups = new Map();
    for (const agent of agents) {
      for (const slug of agent.departments.length ? agent.departments : [""]) {
        if (department && slug !== department) continue;
        if (!groups.has(slug)) groups.set(slug, []);
        groups.get(slug).push(agent);
      }
    }
    const names = departmentNames();
    const seen = new Set();
    fieldset.replaceChildren(
      ...[...groups.entries()].flatMap(([slug, members]) => [
        h("h3", { text: names.get(slug) || "No department" }),
        ...members.map((agent) => {
          const id = `${dialog.id}-agent-${agent.id}-${slug}`;
          const duplicate = seen.has(agent.id);
          seen.add(agent.id);
          return h(
            "label",
            { for: id },
            h("input", {
              id,
              type: multiple ? "checkbox" : "radio",
              name: "agent",
              value: agent.id,
              "data-duplicate": duplicate ? "1" : null,
              onchange: (event) => syncDuplicates(fieldset, event.target),
            }),
            h("span", { text: agent.name }),
            h("span", { class: "muted", text: `${agent.active_chats} chat${agent.active_chats === 1 ? "" : "s"}` }),
          );
        }),
      ]),
    );
    return agents;
  }

  // An agent in two departments is listed twice; both entries mean the same choice.
  function syncDuplicates(fieldset, input) {
    for (const other of fieldset.querySelectorAll(`input[value="${input.value}"]`)) {
      if (other !== input && input.type === "checkbox") other.checked = input.checked;
    }
  }

  function departmentNames() {
    return new Map(
      [...transferDialog.querySelectorAll("#transfer-department option")].filter((o) => o.value).map((o) => [o.value, o.textContent]),
    );
  }

  async function loadDepartments() {
    const select = transferDialog.querySelector("#transfer-department");
    if (select.options.length > 1) return;
    for (const department of await api("GET", "/api/v1/departments/")) {
      select.append(h("option", { value: department.slug, text: department.name }));
    }
  }

  function showDialogError(dialog, text) {
    const error = dialog.querySelector(".form-error");
    error.textContent = text;
    error.hidden = !text;
  }

  function chosen(dialog) {
    return [...new Set([...dialog.querySelectorAll("input[name=agent]:checked")].map((input) => Number(input.value)))];
  }

  async function openTransfer(tab) {
    await loadDepartments();
    const select = transferDialog.querySelector("#transfer-department");
    select.value = "";
    select.onchange = () => fillChoices(transferDialog, { multiple: false, department: select.value });
    transferDialog.querySelector("#transfer-note").value = "";
    showDialogError(transferDialog, "");
    await fillChoices(transferDialog, { multiple: false, department: "" });
    transferDialog.onclose = async () => {
      if (transferDialog.returnValue !== "send") return;
      const [agentId] = chosen(transferDialog);
      if (!agentId) return;
      const body = { agent: agentId, note: transferDialog.querySelector("#transfer-note").value };
      if (select.value) body.department = select.value;
      try {
        const transfer = await api("POST", `/api/v1/chats/${tab.id}/transfer/`, body);
        tab.setHandover(`Waiting for ${transfer.to_agent.name} to accept the transfer…`, transfer.id);
      } catch (failure) {
        tab.setHandover(failure.message, null, NOTE_SHOWN_MS);
      }
    };
    transferDialog.showModal();
  }

  async function openInvite(tab) {
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
        tab.setHandover(`Invited ${names}; waiting for an answer…`, null, NOTE_SHOWN_MS);
      } catch (failure) {
        tab.setHandover(failure.message, null, NOTE_SHOWN_MS);
      }
    };
    inviteDialog.showModal();
  }

  async function leave(tab) {
    try {
      await api("POST", `/api/v1/chats/${tab.id}/leave/`);
      tab.makeReadOnly("You left this chat");
    } catch (failure) {
      tab.setHandover(failure.message, null, NOTE_SHOWN_MS);
    }
  }

  // Popups for the receiving agent ------------------------------------------------------------

  function requestPopup(key, { kind, title, who, frame, acceptUrl, declineUrl }) {
    if (popups.has(key)) return;
    const note = h("span", { class: "popup-note muted" });
    const accept = h("button", { type: "button", class: "button primary small", text: "Accept" });
    const decline = h("button", { type: "button", class: "button small", text: "Decline" });
    const popup = h(
      "section",
      { class: `popup ${kind}`, "aria-label": `${title} from ${who}` },
      h("h2", { text: title }),
      h("p", { class: "popup-visitor", text: `${who} · ${frame.visitor.name}` }),
      h("p", { class: "popup-question", text: frame.question }),
      frame.note ? h("p", { class: "popup-note-text", text: `“${frame.note}”` }) : null,
      h("div", { class: "popup-actions" }, note, decline, accept),
    );
    const answer = (url) => async () => {
      accept.disabled = decline.disabled = true;
      try {
        await api("POST", url);
        closePopup(key, null);
      } catch (failure) {
        closePopup(key, failure.message);
      }
    };
    accept.addEventListener("click", answer(acceptUrl));
    decline.addEventListener("click", answer(declineUrl));
    popups.set(key, popup);
    popupsEl.append(popup);
  }

  function closePopup(key, text) {
    const popup = popups.get(key);
    if (!popup) return;
    popups.delete(key);
    if (!text) return popup.remove();
    popup.classList.add("gone");
    popup.querySelector(".popup-note").textContent = text;
    popup.querySelectorAll("button").forEach((button) => (button.hidden = true));
    setTimeout(() => popup.remove(), 3000);
  }

  // Frames ------------------------------------------------------------------------------------

  const handlers = {
    "transfer.requested": (frame) => {
      if (frame.to.id !== me.id) return;
      requestPopup(`transfer:${frame.transfer_id}`, {
        kind: "transfer",
        title: "Transfer request",
        who: frame.from.name,
        frame,
        acceptUrl: `/api/v1/transfers/${frame.transfer_id}/accept/`,
        declineUrl: `/api/v1/transfers/${frame.transfer_id}/decline/`,
      });
    },
    "transfer.accepted": async (frame) => {
      closePopup(`transfer:${frame.transfer_id}`, null);
      const tab = tabs.get(frame.chat_id);
      if (frame.to.id === me.id) {
        const opened = await openChat(frame.chat_id);
        opened.refresh();
      } else if (frame.from.id === me.id && tab) {
        tab.makeReadOnly(`Transferred to ${frame.to.name}`);
      }
    },
    "transfer.declined": (frame) => transferEnded(frame, `${frame.to.name} declined the transfer; the chat stays with you.`),
    "transfer.expired": (frame) => transferEnded(frame, `${frame.to.name} did not answer in time; the chat stays with you.`),
    "transfer.withdrawn": (frame) => transferEnded(frame, "The transfer was withdrawn."),
    "invitation.requested": (frame) => {
      if (frame.invitee.id !== me.id) return;
      requestPopup(`invitation:${frame.invitation_id}`, {
        kind: "invite",
        title: "Invitation to a chat",
        who: frame.inviter.name,
        frame,
        acceptUrl: `/api/v1/invitations/${frame.invitation_id}/accept/`,
        declineUrl: `/api/v1/invitations/${frame.invitation_id}/decline/`,
      });
    },
    "invitation.accepted": async (frame) => {
      closePopup(`invitation:${frame.invitation_id}`, null);
      if (frame.invitee.id === me.id) {
        const opened = await openChat(frame.chat_id);
        opened.refresh();
      } else {
        tabs.get(frame.chat_id)?.setHandover(`${frame.invitee.name} joined the chat.`, null, NOTE_SHOWN_MS);
      }
    },
    "invitation.declined": (frame) => invitationEnded(frame, `${frame.invitee.name} declined the invitation.`),
    "invitation.expired": (frame) => invitationEnded(frame, `${frame.invitee.name} did not answer the invitation.`),
    "participant.joined": (frame) => tabs.get(frame.chat_id)?.refreshParticipants(),
    "participant.left": (frame) => {
      if (frame.agent.id === me.id) tabs.get(frame.chat_id)?.makeReadOnly("You left this chat");
      else tabs.get(frame.chat_id)?.refreshParticipants();
    },
  };

  function transferEnded(frame, text) {
    if (frame.to.id === me.id) closePopup(`transfer:${frame.transfer_id}`, frame.type === "transfer.withdrawn" ? "Withdrawn" : null);
    if (frame.from.id === me.id) tabs.get(frame.chat_id)?.setHandover(text, null, NOTE_SHOWN_MS);
  }

  function invitationEnded(frame, text) {
    if (frame.invitee.id === me.id) closePopup(`invitation:${frame.invitation_id}`, null);
    else tabs.get(frame.chat_id)?.setHandover(text, null, NOTE_SHOWN_MS);
  }

  return {
    handlers,
    run(action, tab) {
      ({ transfer: openTransfer, invite: openInvite, leave })[action](tab);
    },
    withdraw: (transferId) => api("POST", `/api/v1/transfers/${transferId}/withdraw/`),
  };
}
