// The account photo's drop-down: chat status Online/Offline and chat ringer ON/OFF, saved at once.
import { dropdownMenu } from "../common/menu.js";

// `api`: the REST client; `onChange(settings)` after every change, saved or put back.
export function setupAccountMenu({ me, api, onChange }) {
  const menu = dropdownMenu(document.getElementById("account-button"), document.getElementById("account-menu"));
  const error = document.getElementById("settings-error");
  const dot = document.getElementById("status-dot");

  function update(settings) {
    me.chatStatus = settings.chat_status;
    me.ringer = settings.ringer;
    for (const input of menu.panel.querySelectorAll("input[name=chat_status]")) input.checked = input.value === settings.chat_status;
    for (const input of menu.panel.querySelectorAll("input[name=ringer]")) input.checked = (input.value === "on") === settings.ringer;
    if (dot) dot.className = `status-dot ${settings.chat_status}`;
    onChange(settings);
  }

  menu.panel.addEventListener("change", async (event) => {
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
