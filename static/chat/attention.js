// Getting the visitor's attention when an agent writes while they look elsewhere. The page's title
// counts the messages that came while it was hidden ("(2) New message – …") and a short sound plays,
// once the visitor has clicked or typed on the page (browsers refuse sound before that); both go
// back when the page is shown again. Inside the widget the host page's title is not ours: the
// widget (widget.js) changes it, and counts unread messages on its closed launcher, from the
// messages this page posts to it.
import { gettext, interpolate } from "../common/i18n.js";

const embedded = window.parent !== window;

// A message to the widget script on the host page (nothing secret: counts, a colour, a close).
export function tellWidget(type, fields = {}) {
  if (embedded) window.parent.postMessage({ source: "helpdesk-chat", type, ...fields }, "*");
}

export class Attention {
  constructor(soundUrl) {
    this.soundUrl = soundUrl;
    this.audio = null;
    this.interacted = false;
    this.unseen = 0;
    this.title = document.title;
    const interacted = () => {
      this.interacted = true;
    };
    document.addEventListener("pointerdown", interacted, true);
    document.addEventListener("keydown", interacted, true);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) this.seen();
    });
  }

  // An agent's message arrived (a live one, not history replayed on connect).
  agentMessage() {
    tellWidget("agent-message");
    if (!document.hidden) return;
    this.unseen += 1;
    if (!embedded) {
      document.title = interpolate(gettext("(%(count)s) New message – %(title)s"), { count: this.unseen, title: this.title });
    }
    this.sound();
  }

  seen() {
    if (!this.unseen) return;
    this.unseen = 0;
    if (!embedded) document.title = this.title;
  }

  sound() {
    if (!this.interacted) return;
    if (!this.audio) this.audio = new Audio(this.soundUrl);
    this.audio.currentTime = 0;
    this.audio.play().catch(() => {}); // refused or interrupted: the title still says it
  }
}
