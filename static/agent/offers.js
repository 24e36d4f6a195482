// New chat popups: one per waiting chat offered to this agent, with Accept; the ringer plays
// while any is shown. A popup another agent accepted first, or whose visitor left, says so.
import { PopupStack } from "../common/popups.js";

export class Offers {
  // `popupsEl`: where popups stack; `send(frame)`: the agent socket's send; `tabs`: ChatTabs.
  constructor({ me, popupsEl, send, ringer, tabs }) {
    this.me = me;
    this.popups = new PopupStack(popupsEl); // chat id -> popup
    this.send = send;
    this.ringer = ringer;
    this.tabs = tabs;
  }

  show(frame) {
    if (this.tabs.has(frame.chat_id)) return;
    const popup = this.popups.open(frame.chat_id, {
      label: `New chat from ${frame.visitor.name}`,
      title: "New chat",
      visitor: frame.visitor.name,
      question: frame.question,
      tag: frame.department,
      actions: [{ text: "Accept", primary: true, onClick: (shown) => this.accept(frame.chat_id, shown) }],
    });
    if (popup && frame.ring) this.ringer.ring();
  }

  accept(chatId, popup) {
    const [button] = popup.buttons;
    button.disabled = true;
    button.textContent = "Accepting…";
    if (!this.send({ type: "chat.accept", chat_id: chatId })) {
      button.disabled = false;
      button.textContent = "Accept";
      popup.setNote("Not connected");
    }
  }

  // Without `text` the popup goes at once; with it, it shows why for a moment.
  withdraw(chatId, text = null) {
    if (!this.popups.close(chatId, text)) return;
    if (!this.popups.size) this.ringer.stop();
  }

  withdrawAll() {
    for (const chatId of this.popups.keys()) this.withdraw(chatId);
  }

  get handlers() {
    const me = this.me;
    return {
      "chat.offered": (frame) => this.show(frame),
      "chat.offer_withdrawn": (frame) => {
        const who = frame.agent && frame.agent.id !== me.id ? frame.agent.name : null;
        const text = frame.reason === "accepted" ? (who ? `Accepted by ${who}` : null) : frame.reason === "missed" ? "The visitor left" : null;
        this.withdraw(frame.chat_id, text);
      },
      "chat.accepted": async (frame) => {
        if (frame.agent && frame.agent.id === me.id) {
          this.withdraw(frame.chat_id);
          const tab = await this.tabs.open(frame.chat_id);
          await tab.refresh();
        } else {
          this.withdraw(frame.chat_id, `Accepted by ${frame.agent ? frame.agent.name : "another agent"}`);
        }
      },
    };
  }
}
