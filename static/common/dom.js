// DOM helpers. Text from chats is only ever set as text nodes; links are built as elements.
import { gettext, interpolate, pageLocale, pgettext } from "./i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
const TRAILING_PUNCTUATION = /[.,;:!?)\]}]+$/;

// Text with http(s) links made clickable; everything else stays plain text.
export function linkified(text) {
  const fragment = document.createDocumentFragment();
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0];
    const trailing = url.match(TRAILING_PUNCTUATION);
    if (trailing) url = url.slice(0, -trailing[0].length);
    fragment.append(text.slice(last, match.index));
    fragment.append(h("a", { href: url, target: "_blank", rel: "noopener noreferrer nofollow", text: url }));
    last = match.index + url.length;
  }
  fragment.append(text.slice(last));
  return fragment;
}

// A mailto: link to exactly this one address, or null if it is not one. The parts are
// percent-encoded: "?" would start headers (an address "x?cc=y@example.org" would copy y in),
// "," would add recipients, "&", "%" and "#" change the URI too.
export function mailtoHref(address) {
  const at = address.lastIndexOf("@");
  if (at < 1 || at === address.length - 1) return null;
  return `mailto:${encodeURIComponent(address.slice(0, at))}@${encodeURIComponent(address.slice(at + 1))}`;
}

// The one date format of every page: the viewer's locale and time zone, through Intl. A message in
// a live chat shows the time alone, in the same style.
const DATE_TIME = new Intl.DateTimeFormat(pageLocale(), { dateStyle: "medium", timeStyle: "short" });
const TIME = new Intl.DateTimeFormat(pageLocale(), { timeStyle: "short" });

export function formatTime(iso) {
  return TIME.format(new Date(iso));
}

export function formatDateTime(iso) {
  return DATE_TIME.format(new Date(iso));
}

// A <time> element showing `iso` in that format.
export function timeElement(iso, { prefix = "", timeOnly = false } = {}) {
  return h("time", { datetime: iso, text: prefix + (timeOnly ? formatTime(iso) : formatDateTime(iso)) });
}

// The server renders dates as <time datetime="…" data-local> with a fallback text; they take the
// same format here.
export function localizeTimes(root = document) {
  for (const element of root.querySelectorAll("time[datetime][data-local]")) {
    element.textContent = formatDateTime(element.dateTime);
  }
}

// An internal note (agents' pages only: the visitor's socket never carries one) is marked.
export function messageItem(frame) {
  const note = frame.internal === true;
  return h(
    "li",
    { class: `message ${frame.sender.kind}${note ? " internal" : ""}`, "data-seq": frame.seq },
    h(
      "div",
      { class: "message-meta" },
      h("strong", { text: frame.sender.name }),
      " ",
      timeElement(frame.created_at, { timeOnly: true }),
      note ? " · " : null,
      note ? h("span", { class: "note-label", text: gettext("Internal note — not sent to the visitor") }) : null,
    ),
    h("div", { class: "message-body" }, linkified(frame.body)),
  );
}

// Insert a message in seq order, once: a re-sent or replayed frame is ignored.
export function insertMessage(list, frame) {
  if (list.querySelector(`[data-seq="${frame.seq}"]`)) return false;
  const item = messageItem(frame);
  const later = [...list.children].find((li) => Number(li.dataset.seq) > frame.seq);
  list.insertBefore(item, later || null);
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  if (nearBottom || !later) list.scrollTop = list.scrollHeight;
  return true;
}

export function newClientId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// "ends in 1:05" countdown text for a chat.ending frame.
export function secondsUntil(iso) {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - Date.now()) / 1000));
}

export function formatSeconds(total) {
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  if (minutes) return `${minutes}:${String(seconds).padStart(2, "0")}`;
  return interpolate(pgettext("seconds left, abbreviated", "%(seconds)s s"), { seconds });
}

// Calls show("1:05") now and twice a second until the returned function is called.
export function countdown(endsAt, show) {
  const tick = () => show(formatSeconds(secondsUntil(endsAt)));
  tick();
  const timer = setInterval(tick, 500);
  return () => clearInterval(timer);
}
