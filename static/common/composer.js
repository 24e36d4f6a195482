// The message composer of both sides: Enter sends, Shift+Enter adds a line, typing is announced
// at most every TYPING_SEND_EVERY_MS. A message that could not be sent stays in the box.
// Attach anything that must see Enter first (the '#' suggestions) before calling this.
// typingIndicator() shows the other side's typing frames.
import { gettext, interpolate, ngettext } from "./i18n.js";

const TYPING_SEND_EVERY_MS = 2000;
const TYPING_SHOWN_MS = 4000;

// `send(body)` returns whether the socket took the frame; `showError(text)` ("" hides it);
// `notConnected` is the error shown when it did not; `typing()` sends a typing frame.
export function attachComposer(form, { maxChars, send, typing, showError, notConnected }) {
  const textarea = form.querySelector("textarea");
  let lastTypingSent = 0;

  function submit() {
    const body = textarea.value.trim();
    if (!body) return;
    if (body.length > maxChars) {
      showError(
        interpolate(
          ngettext("Messages can be at most %(max)s character.", "Messages can be at most %(max)s characters.", maxChars),
          { max: maxChars },
        ),
      );
      return;
    }
    if (!send(body)) {
      showError(notConnected);
      return;
    }
    textarea.value = "";
    showError("");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submit();
    }
  });
  textarea.addEventListener("input", () => {
    const now = Date.now();
    if (now - lastTypingSent < TYPING_SEND_EVERY_MS || !textarea.value.trim()) return;
    lastTypingSent = now;
    typing();
  });
  return textarea;
}

// "Vera is typing…" in `element` for a while after each typing frame. clear(name) when a message
// of `name` came (it clears only their line: someone else may be typing); clear() clears any.
export function typingIndicator(element) {
  let timer = null;
  let shown = null;
  const indicator = {
    show(name) {
      shown = name;
      element.textContent = interpolate(gettext("%(name)s is typing…"), { name });
      clearTimeout(timer);
      timer = setTimeout(() => indicator.clear(), TYPING_SHOWN_MS);
    },
    clear(name = shown) {
      if (name !== shown) return;
      clearTimeout(timer);
      shown = null;
      element.textContent = "";
    },
  };
  return indicator;
}
