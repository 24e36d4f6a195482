// One conversation's messages in `seq` order and the one way both pages recover what they missed
// (docs/protocol.md, "Clients detect gaps by seq"): a duplicate is dropped; a message past a gap
// is shown in its place and everything after the last `seq` held without a hole is asked for
// again, `after_seq` that `seq`. How to ask is the page's `fetchAfter(afterSeq)`, because the
// server offers each side one way: an agent reads GET /api/v1/chats/{id}/messages/?after_seq=N
// (the agent socket does not replay) and gets the messages back; a visitor reconnects with
// ?after_seq=N (there is no visitor messages endpoint) and the replay comes in as frames.
import { insertMessage } from "./dom.js";

const RETRY_MS = 2000;

export class MessageSequence {
  constructor(list, { fetchAfter, onAdded = () => {} }) {
    this.list = list;
    this.fetchAfter = fetchAfter;
    this.onAdded = onAdded;
    this.lastSeq = 0; // the highest seq held with none missing below it: what to ask `after_seq`
    this.ahead = new Set(); // seqs shown past a gap
    this.fetching = null;
    this.gapWhileFetching = false;
  }

  // A message frame, or a message read over REST. Returns whether it was new.
  receive(frame) {
    if (frame.seq <= this.lastSeq || this.ahead.has(frame.seq)) return false;
    insertMessage(this.list, frame);
    if (frame.seq === this.lastSeq + 1) {
      this.lastSeq = frame.seq;
      while (this.ahead.delete(this.lastSeq + 1)) this.lastSeq += 1;
    } else {
      this.ahead.add(frame.seq);
      if (this.fetching) this.gapWhileFetching = true;
      else this.catchUpSoon();
    }
    this.onAdded(frame);
    return true;
  }

  // Ask for everything after `lastSeq`, once at a time; rejects if the request failed. A gap seen
  // while a request was out may lie beyond what it read: that one asks again.
  catchUp() {
    if (!this.fetching) {
      this.fetching = (async () => {
        try {
          do {
            this.gapWhileFetching = false;
            const messages = await this.fetchAfter(this.lastSeq);
            for (const message of messages || []) this.receive({ ...message, type: "message" });
          } while (this.gapWhileFetching);
        } finally {
          this.fetching = null;
        }
      })();
    }
    return this.fetching;
  }

  // The same, retried every RETRY_MS while the server cannot be reached.
  catchUpSoon() {
    clearTimeout(this.retry);
    this.catchUp().catch((failure) => {
      console.warn("catching up failed, retrying", failure);
      this.retry = setTimeout(() => this.catchUpSoon(), RETRY_MS);
    });
  }
}
