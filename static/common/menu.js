// The one way a drop-down menu opens and closes (the account menu, End Session, More Actions):
// its button toggles it, Escape closes it and gives the focus back to the button, a click
// anywhere else closes it. Opening focuses the checked choice or the first visible item.
const openMenus = new Set();

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
      }
    },
    close() {
      menu.toggle(false);
    },
  };
  button.addEventListener("click", () => menu.toggle());
  panel.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menu.close();
    button.focus();
  });
  return menu;
}
