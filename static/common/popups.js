// The popups of the agent pages: a new chat, a transfer request, an invitation. One per key; one
// that goes away with a reason shows it for a moment. Every popup has "Later": by default it folds
// the popup to its title line (with "Show" to unfold it); a popup given `onLater` is taken away
// instead and its owner keeps the request (new chats stay in the waiting list). Where the stack
// sits is the page's choice (CSS): it never covers a chat's composer.
import { h } from "./dom.js";
import { gettext } from "./i18n.js";

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
  // writes beside them. "Later" comes first (see above). Returns the popup, or null if one with
  // this key is already shown.
  open(key, { kind, label, title, visitor, question, quote, tag, actions, onLater = null }) {
    if (this.popups.has(key)) return null;
    const note = h("span", { class: "popup-note muted" });
    const buttons = actions.map(({ text, primary }) =>
      h("button", { type: "button", class: primary ? "button primary small" : "button small", text }),
    );
    const later = h("button", { type: "button", class: "button small popup-later", text: gettext("Later") });
    const show = h("button", { type: "button", class: "button small popup-show", text: gettext("Show"), hidden: true });
    const heading = h("div", { class: "popup-head" }, h("h2", { text: title }), show);
    const element = h(
      "section",
      { class: kind ? `popup ${kind}` : "popup", "aria-label": label },
      heading,
      h(
        "div",
        { class: "popup-body" },
        h("p", { class: "popup-visitor", text: visitor }),
        h("p", { class: "popup-question", text: question }),
        quote ? h("p", { class: "popup-note-text", text: `“${quote}”` }) : null,
        h("div", { class: "popup-actions" }, tag ? h("span", { class: "popup-department", text: tag }) : null, note, later, buttons),
      ),
    );
    const popup = { element, buttons: [later, ...buttons], setNote: (text) => (note.textContent = text) };
    actions.forEach(({ onClick }, index) => buttons[index].addEventListener("click", () => onClick(popup)));
    later.addEventListener("click", () => (onLater ? onLater(popup) : this.fold(popup, true)));
    show.addEventListener("click", () => this.fold(popup, false));
    popup.show = show;
    this.popups.set(key, popup);
    this.container.append(element);
    return popup;
  }

  fold(popup, folded) {
    popup.element.classList.toggle("folded", folded);
    popup.element.querySelector(".popup-body").hidden = folded;
    popup.show.hidden = !folded;
    (folded ? popup.show : popup.buttons.at(-1)).focus();
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
    popup.element.querySelector(".popup-body").hidden = false;
    popup.show.hidden = true;
    popup.setNote(text);
    for (const button of popup.buttons) button.hidden = true;
    setTimeout(() => popup.element.remove(), GONE_SHOWN_MS);
    return true;
  }
}
