// The ring for new chats. A browser may refuse sound until the person has interacted with the
// page; Chromium lets a page play after a same-origin navigation that followed a click, others
// ask for a click on each page. So we always try, and only when the browser refuses
// (NotAllowedError, not an interrupted play) show a "Click to enable sound" button; the first
// click or key press anywhere on the page starts the ring too.
import { h } from "../common/dom.js";
import { gettext } from "../common/i18n.js";

export class Ringer {
  // `container`: where the hint goes; `isOn()`: the agent's ringer setting.
  constructor(url, container, isOn) {
    this.audio = new Audio(url);
    this.audio.loop = true;
    this.audio.preload = "auto";
    this.container = container;
    this.isOn = isOn;
    this.hint = null;
    this.wanted = false; // a ring is due, whether or not the browser lets it sound yet
    const retry = () => {
      if (this.wanted && this.audio.paused) this.play();
    };
    document.addEventListener("pointerdown", retry, true);
    document.addEventListener("keydown", retry, true);
  }

  ring() {
    if (!this.isOn()) return;
    this.wanted = true;
    this.audio.currentTime = 0;
    this.play();
  }

  play() {
    this.audio.play().then(
      () => {
        this.hideHint();
        if (!this.wanted) this.audio.pause(); // stopped while play() was pending
      },
      (failure) => {
        if (failure.name === "NotAllowedError" && this.wanted) this.showHint();
      },
    );
  }

  stop() {
    this.wanted = false;
    this.audio.pause();
    this.hideHint();
  }

  showHint() {
    if (this.hint) return;
    this.hint = h("button", {
      type: "button",
      class: "sound-hint",
      text: "🔔 " + gettext("Click to enable sound"),
      onclick: () => this.play(),
    });
    this.container.prepend(this.hint);
  }

  hideHint() {
    this.hint?.remove();
    this.hint = null;
  }
}
