// A websocket that reconnects with exponential backoff and reports its state. Made first, so its
// send() can be handed out (it answers false until connected); start() connects. `url()` is called
// for every attempt, so a reconnect can ask for what it missed (after_seq).

const CLOSE_FINAL = new Set([4401, 4403]); // refused: retrying cannot help

export class ReconnectingSocket {
  constructor() {
    this.ws = null;
    this.delay = 500;
    this.stopped = false;
  }

  start(url, { onFrame, onOpen = () => {}, onState = () => {} }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onOpen = onOpen;
    this.onState = onState;
    this.connect();
  }

  connect() {
    this.ws = new WebSocket(this.url());
    this.ws.addEventListener("open", () => {
      this.delay = 500;
      this.onState("open");
      this.onOpen();
    });
    this.ws.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    this.ws.addEventListener("close", (event) => {
      if (this.stopped) return;
      if (CLOSE_FINAL.has(event.code)) {
        this.onState("refused", event.code);
        return;
      }
      this.onState("reconnecting");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  // Close now and open again (e.g. to replay from a new after_seq).
  restart() {
    this.ws?.close();
  }

  stop() {
    this.stopped = true;
    this.ws?.close();
  }
}

export function wsUrl(path) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.host}${path}`;
}
