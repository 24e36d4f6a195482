// The popups stacked in the bottom-right corner of the Chat Dashboard: a new chat, a transfer
// request, an invitation. One per key; one that goes away with a reason shows it for a moment.
import { h } from "./dom.js";

const GONE_SHOWN_MS = 3000;

export class PopupStack {
  constructor(container) {
    this.container = container;
    this.popups = new Map(); // key -> {element, note, buttons}
  }

  has(key) {
    return this.popups.has(key);
  }

  get size() {
    return this.popups.size;
  }

  keys() {
    return [...this.popups.keys()];
  }

  // `actions` are the buttons, in order: {text, primary, onClick(popup)}; `popup.setNote(text)`
  // writes beside them. Returns the popup, or null if one with this key is already shown.
  open(key, { kind, label, title, visitor, question, quote, tag, actions }) {
    if (this.popups.has(key)) return null;
    const note = h("span", { class: "popup-note muted" });
    const buttons = actions.map(({ text, primary }) =>
      h("button", { type: "button", class: primary ? "button primary small" : "button small", text }),
    );
    const element = h(
      "section",
      { class: kind ? `popup ${kind}` : "popup", "aria-label": label },
      h("h2", { text: title }),
      h("p", { class: "popup-visitor", text: visitor }),
      h("p", { class: "popup-question", text: question }),
      quote ? h("p", { class: "popup-note-text", text: `“${quote}”` }) : null,
      h("div", { class: "popup-actions" }, tag ? h("span", { class: "popup-department", text: tag }) : null, note, buttons),
    );
    const popup = { element, buttons, setNote: (text) => (note.textContent = text) };
    actions.forEach(({ onClick }, index) => buttons[index].addEventListener("click", () => onClick(popup)));
    this.popups.set(key, popup);
    this.container.append(element);
    return popup;
  }

  // Without `text` the popup goes at once; with it, it stays greyed out with the text a moment.
  // Returns whether there was one.
  close(key, text = null) {
    const popup = this.popups.get(key);
    if (!popup) return false;
    this.popups.delete(key);
    if (!text) {
      popup.element.remove();
      return true;
    }
    popup.element.classList.add("gone");
    popup.setNote(text);
    for (const button of popup.buttons) button.hidden = true;
    setTimeout(() => popup.element.remove(), GONE_SHOWN_MS);
    return true;
  }
}
