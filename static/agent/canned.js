// '#' suggestions in the chat composer: typing "#" at the start of a word lists the
// chat's department's canned messages narrowed by what follows; arrows move, Enter selects
// (the "#query" becomes the filled-in text, ready to edit), Esc dismisses, the mouse works too.
import { api } from "../common/api.js";
import { h } from "../common/dom.js";
import { gettext } from "../common/i18n.js";

// "#" opens suggestions at the start of a word, unless a digit follows: "order #123" or
// "a#b" are text, not a request for a canned message.
const TRIGGER = /(^|\s)#((?![0-9])[^\s#]*)?$/;
const PLACEHOLDER = /\{([^{}\s]*)\}/g;
const SHOWN = 8;
let nextListId = 0;

export function fillPlaceholders(text, values) {
  return text.replace(PLACEHOLDER, (whole, name) => (name in values ? values[name] : whole));
}

export function attachCannedSuggestions(textarea, { department, values }) {
  const listId = `canned-suggestions-${++nextListId}`;
  const list = h("ul", { id: listId, class: "suggestions", role: "listbox", "aria-label": gettext("Suggestions"), hidden: true });
  textarea.closest("form").append(list);
  textarea.setAttribute("aria-autocomplete", "list");
  // No aria-expanded: a textarea is a textbox, which does not take it (axe's aria-allowed-attr);
  // the list is announced through aria-activedescendant and its own role.
  textarea.setAttribute("aria-controls", listId);

  let items = [];
  let active = -1;
  let trigger = null; // {start, end, query}
  let pending = null;
  let timer = null;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    trigger = null;
    pending?.abort();
    textarea.removeAttribute("aria-activedescendant");
  }

  function findTrigger() {
    if (textarea.selectionStart !== textarea.selectionEnd) return null;
    const caret = textarea.selectionStart;
    const match = textarea.value.slice(0, caret).match(TRIGGER);
    if (!match) return null;
    const query = match[2] || "";
    return { start: caret - query.length - 1, end: caret, query };
  }

  function highlight(index) {
    active = index;
    list.querySelectorAll("[role=option]").forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    const option = list.querySelector(`[data-index="${index}"]`);
    if (option) {
      textarea.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function render() {
    list.replaceChildren(
      ...(items.length
        ? items.map((message, index) =>
            h(
              "li",
              {
                id: `${listId}-${index}`,
                role: "option",
                "data-index": index,
                "aria-selected": "false",
                onmousedown: (event) => {
                  event.preventDefault(); // keep the focus (and caret) in the textarea
                  choose(index);
                },
              },
              h(
                "div",
                { class: "suggestion-head" },
                message.shortcut ? h("code", { text: `#${message.shortcut}` }) : null,
                h("span", { text: message.category_name }),
              ),
              h("div", { class: "suggestion-text", text: message.text }),
            ),
          )
        : [h("li", { class: "empty", text: gettext("No canned message matches.") })]),
    );
    list.hidden = false;
    if (items.length) highlight(0);
  }

  async function search(found) {
    pending?.abort();
    pending = new AbortController();
    const params = new URLSearchParams({ q: found.query });
    const slug = department();
    if (slug) params.set("department", slug);
    try {
      const response = await fetch(`/api/v1/canned-messages/?${params}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: pending.signal,
      });
      if (!response.ok) return close();
      const page = await response.json();
      if (!trigger || trigger.start !== found.start) return; // dismissed or moved meanwhile
      items = page.results.slice(0, SHOWN);
      render();
    } catch (failure) {
      if (failure.name !== "AbortError") close();
    }
  }

  function update() {
    const found = findTrigger();
    if (!found) return close();
    trigger = found;
    clearTimeout(timer);
    timer = setTimeout(() => search(found), 60);
  }

  function choose(index) {
    const message = items[index];
    if (!message || !trigger) return;
    const filled = fillPlaceholders(message.text, values());
    const value = textarea.value;
    textarea.value = value.slice(0, trigger.start) + filled + value.slice(trigger.end);
    const caret = trigger.start + filled.length;
    textarea.setSelectionRange(caret, caret);
    close();
    textarea.focus();
  }

  textarea.addEventListener("input", update);
  textarea.addEventListener("click", update);
  textarea.addEventListener("blur", () => setTimeout(close, 150));
  textarea.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    const handled = {
      ArrowDown: () => items.length && highlight((active + 1) % items.length),
      ArrowUp: () => items.length && highlight((active - 1 + items.length) % items.length),
      Enter: () => (items.length ? choose(active) : close()),
      Tab: () => (items.length ? choose(active) : close()),
      Escape: () => close(),
    }[event.key];
    if (!handled) return;
    event.preventDefault();
    event.stopImmediatePropagation(); // Enter picks a suggestion; it must not also send
    handled();
  });
}
