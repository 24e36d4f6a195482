// The answering side of a handover: the Transfer request / Invitation popups a receiving agent
// answers with Accept or Decline, and the transfer.*, invitation.* and participant.* frames that
// tell every side what happened. The dialogs that start one are in handover-dialogs.js.
import { gettext, interpolate } from "../common/i18n.js";
import { PopupStack } from "../common/popups.js";

// `popupsEl`: where popups stack; `tabs`: ChatTabs; `api`: the REST client.
export function handoverHandlers({ me, popupsEl, tabs, api }) {
  const popups = new PopupStack(popupsEl); // "transfers/<id>" | "invitations/<id>" -> popup

  // `request`: "transfers/<id>" or "invitations/<id>", the popup's key and its API path.
  function requestPopup(request, { kind, title, label, who, frame }) {
    const answer = (verb) => async (popup) => {
      for (const button of popup.buttons) button.disabled = true;
      try {
        await api("POST", `/api/v1/${request}/${verb}/`);
        popups.close(request);
      } catch (failure) {
        popups.close(request, failure.message);
      }
    };
    popups.open(request, {
      kind,
      label,
      title,
      visitor: `${who} · ${frame.visitor.name}`,
      question: frame.question,
      quote: frame.note,
      actions: [
        { text: gettext("Decline"), onClick: answer("decline") },
        { text: gettext("Accept"), primary: true, onClick: answer("accept") },
      ],
    });
  }

  async function joined(frame) {
    const tab = await tabs.open(frame.chat_id);
    tab.refresh();
  }

  function transferEnded(frame, text) {
    const note = frame.type === "transfer.withdrawn" ? gettext("Withdrawn") : null;
    if (frame.to.id === me.id) popups.close(`transfers/${frame.transfer_id}`, note);
    if (frame.from.id === me.id) tabs.get(frame.chat_id)?.noteHandover(text);
  }

  function invitationEnded(frame, text) {
    if (frame.invitee.id === me.id) popups.close(`invitations/${frame.invitation_id}`);
    else tabs.get(frame.chat_id)?.noteHandover(text);
  }

  return {
    "transfer.requested": (frame) => {
      if (frame.to.id !== me.id) return;
      const who = frame.from.name;
      requestPopup(`transfers/${frame.transfer_id}`, {
        kind: "transfer",
        title: gettext("Transfer request"),
        label: interpolate(gettext("Transfer request from %(name)s"), { name: who }),
        who,
        frame,
      });
    },
    "transfer.accepted": async (frame) => {
      popups.close(`transfers/${frame.transfer_id}`);
      const tab = tabs.get(frame.chat_id);
      if (frame.to.id === me.id) await joined(frame);
      else if (frame.from.id === me.id && tab) tab.makeReadOnly(interpolate(gettext("Transferred to %(name)s"), { name: frame.to.name }));
    },
    "transfer.declined": (frame) =>
      transferEnded(frame, interpolate(gettext("%(name)s declined the transfer; the chat stays with you."), { name: frame.to.name })),
    "transfer.expired": (frame) =>
      transferEnded(frame, interpolate(gettext("%(name)s did not answer in time; the chat stays with you."), { name: frame.to.name })),
    "transfer.withdrawn": (frame) => transferEnded(frame, gettext("The transfer was withdrawn.")),
    "invitation.requested": (frame) => {
      if (frame.invitee.id !== me.id) return;
      const who = frame.inviter.name;
      requestPopup(`invitations/${frame.invitation_id}`, {
        kind: "invite",
        title: gettext("Invitation to a chat"),
        label: interpolate(gettext("Invitation to a chat from %(name)s"), { name: who }),
        who,
        frame,
      });
    },
    "invitation.accepted": async (frame) => {
      popups.close(`invitations/${frame.invitation_id}`);
      if (frame.invitee.id === me.id) await joined(frame);
      else tabs.get(frame.chat_id)?.noteHandover(interpolate(gettext("%(name)s joined the chat."), { name: frame.invitee.name }));
    },
    "invitation.declined": (frame) =>
      invitationEnded(frame, interpolate(gettext("%(name)s declined the invitation."), { name: frame.invitee.name })),
    "invitation.expired": (frame) =>
      invitationEnded(frame, interpolate(gettext("%(name)s did not answer the invitation."), { name: frame.invitee.name })),
    "participant.joined": (frame) => tabs.get(frame.chat_id)?.refreshParticipants(),
    "participant.left": (frame) => {
      if (frame.agent.id === me.id) tabs.get(frame.chat_id)?.makeReadOnly(gettext("You left this chat"));
      else tabs.get(frame.chat_id)?.refreshParticipants();
    },
  };
}
