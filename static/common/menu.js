// The one way a drop-down menu opens and closes (the account menu, End Session, More Actions):
// its button toggles it, Escape closes it and gives the focus back to the button, a click
// anywhere else closes it. Opening focuses the checked choice or the first visible item.
// Arrow keys move the focus only, over every item and choice: a radio button is chosen with
// Space, Enter or a click, never by arrowing past it (that would set Offline on the way).
const openMenus = new Set();
const ITEMS = "input:not([type=hidden]), button, a[href]";
const STEPS = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };

document.addEventListener("click", (event) => {
  for (const menu of [...openMenus]) {
    if (!menu.panel.contains(event.target) && !menu.button.contains(event.target)) menu.close();
  }
});

export function dropdownMenu(button, panel) {
  const menu = {
    button,
    panel,
    get isOpen() {
      return !panel.hidden;
    },
    toggle(open = panel.hidden) {
      panel.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) {
        openMenus.add(menu);
        panel.querySelector("input:checked, .menu-item:not([hidden])")?.focus();
      } else {
        openMenus.delete(menu);
        if (panel.contains(document.activeElement)) button.focus(); // not to the page's body
      }
    },
    close() {
      menu.toggle(false);
    },
  };
  button.addEventListener("click", () => menu.toggle());
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      menu.close();
      button.focus();
    } else if (event.key === "Enter" && event.target.type === "radio") {
      event.preventDefault();
      event.target.click(); // checks it and fires change, as Space does
    } else if (event.key in STEPS && !isTextField(event.target)) {
      event.preventDefault();
      moveFocus(panel, STEPS[event.key]);
    }
  });
  return menu;
}

function isTextField(element) {
  return element.tagName === "TEXTAREA" || (element.tagName === "INPUT" && !["radio", "checkbox"].includes(element.type));
}

function moveFocus(panel, step) {
  const items = [...panel.querySelectorAll(ITEMS)].filter((item) => !item.disabled && item.getClientRects().length);
  const index = items.indexOf(document.activeElement);
  const next = index < 0 ? (step > 0 ? 0 : -1) : (index + step) % items.length;
  items.at(next)?.focus();
}
