// The answering side of a handover: the Transfer request / Invitation popups a receiving agent
// answers with Accept or Decline, and the transfer.*, invitation.* and participant.* frames that
// tell every side what happened. The dialogs that start one are in handover-dialogs.js.
import { PopupStack } from "../common/popups.js";

// `popupsEl`: where popups stack; `tabs`: ChatTabs; `api`: the REST client.
export function handoverHandlers({ me, popupsEl, tabs, api }) {
  const popups = new PopupStack(popupsEl); // "transfers/<id>" | "invitations/<id>" -> popup

  // `request`: "transfers/<id>" or "invitations/<id>", the popup's key and its API path.
  function requestPopup(request, { kind, title, who, frame }) {
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
      label: `${title} from ${who}`,
      title,
      visitor: `${who} · ${frame.visitor.name}`,
      question: frame.question,
      quote: frame.note,
      actions: [
        { text: "Decline", onClick: answer("decline") },
        { text: "Accept", primary: true, onClick: answer("accept") },
      ],
    });
  }

  async function joined(frame) {
    const tab = await tabs.open(frame.chat_id);
    tab.refresh();
  }

  function transferEnded(frame, text) {
    if (frame.to.id === me.id) popups.close(`transfers/${frame.transfer_id}`, frame.type === "transfer.withdrawn" ? "Withdrawn" : null);
    if (frame.from.id === me.id) tabs.get(frame.chat_id)?.noteHandover(text);
  }

  function invitationEnded(frame, text) {
    if (frame.invitee.id === me.id) popups.close(`invitations/${frame.invitation_id}`);
    else tabs.get(frame.chat_id)?.noteHandover(text);
  }

  return {
    "transfer.requested": (frame) => {
      if (frame.to.id !== me.id) return;
      requestPopup(`transfers/${frame.transfer_id}`, { kind: "transfer", title: "Transfer request", who: frame.from.name, frame });
    },
    "transfer.accepted": async (frame) => {
      popups.close(`transfers/${frame.transfer_id}`);
      const tab = tabs.get(frame.chat_id);
      if (frame.to.id === me.id) await joined(frame);
      else if (frame.from.id === me.id && tab) tab.makeReadOnly(`Transferred to ${frame.to.name}`);
    },
    "transfer.declined": (frame) => transferEnded(frame, `${frame.to.name} declined the transfer; the chat stays with you.`),
    "transfer.expired": (frame) => transferEnded(frame, `${frame.to.name} did not answer in time; the chat stays with you.`),
    "transfer.withdrawn": (frame) => transferEnded(frame, "The transfer was withdrawn."),
    "invitation.requested": (frame) => {
      if (frame.invitee.id !== me.id) return;
      requestPopup(`invitations/${frame.invitation_id}`, { kind: "invite", title: "Invitation to a chat", who: frame.inviter.name, frame });
    },
    "invitation.accepted": async (frame) => {
      popups.close(`invitations/${frame.invitation_id}`);
      if (frame.invitee.id === me.id) await joined(frame);
      else tabs.get(frame.chat_id)?.noteHandover(`${frame.invitee.name} joined the chat.`);
    },
    "invitation.declined": (frame) => invitationEnded(frame, `${frame.invitee.name} declined the invitation.`),
    "invitation.expired": (frame) => invitationEnded(frame, `${frame.invitee.name} did not answer the invitation.`),
    "participant.joined": (frame) => tabs.get(frame.chat_id)?.refreshParticipants(),
    "participant.left": (frame) => {
      if (frame.agent.id === me.id) tabs.get(frame.chat_id)?.makeReadOnly("You left this chat");
      else tabs.get(frame.chat_id)?.refreshParticipants();
    },
  };
}
