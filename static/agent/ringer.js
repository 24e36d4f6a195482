// The ring for new chats. Browsers refuse sound until the page has been interacted with; then we
// show a visible "click to enable sound" button that unlocks it.
import { h } from "../common/dom.js";

export class Ringer {
  constructor(url, container, isOn) {
    this.audio = new Audio(url);
    this.audio.loop = true;
    this.container = container;
    this.isOn = isOn;
    this.hint = null;
  }

  ring() {
    if (!this.isOn()) return;
    this.audio.currentTime = 0;
    this.audio.play().catch(() => this.showHint());
  }

  stop() {
    this.audio.pause();
  }

  showHint() {
    if (this.hint) return;
    this.hint = h("button", {
      type: "button",
      class: "sound-hint",
      text: "🔔 Click to enable sound",
      onclick: () => {
        this.hint.remove();
        this.hint = null;
        this.audio.play().catch(() => {});
      },
    });
    this.container.append(this.hint);
  }
}
