// The account photo's drop-down: chat status Online/Offline and chat ringer ON/OFF, saved at once.
import { api } from "../common/api.js";

export function setupAccountMenu(me, { onChange }) {
  const button = document.getElementById("account-button");
  const menu = document.getElementById("account-menu");
  const error = document.getElementById("settings-error");
  const dot = document.getElementById("status-dot");

  function setOpen(open) {
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) (menu.querySelector("input:checked") || menu.querySelector("button")).focus();
  }
  button.addEventListener("click", () => setOpen(menu.hidden));
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) setOpen(false);
  });
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setOpen(false);
      button.focus();
    }
  });

  function update(settings) {
    me.chatStatus = settings.chat_status;
    me.ringer = settings.ringer;
    for (const input of menu.querySelectorAll("input[name=chat_status]")) input.checked = input.value === settings.chat_status;
    for (const input of menu.querySelectorAll("input[name=ringer]")) input.checked = (input.value === "on") === settings.ringer;
    if (dot) dot.className = `status-dot ${settings.chat_status}`;
    onChange(settings);
  }

  menu.addEventListener("change", async (event) => {
    const input = event.target;
    const change = input.name === "ringer" ? { ringer: input.value === "on" } : { chat_status: input.value };
    error.hidden = true;
    try {
      update(await api("PATCH", "/api/v1/agents/me/", change));
    } catch (failure) {
      error.textContent = failure.message;
      error.hidden = false;
      update({ chat_status: me.chatStatus, ringer: me.ringer });
    }
  });

  return { update };
}
