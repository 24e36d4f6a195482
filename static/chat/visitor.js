// The visitor's chat: pre-chat form, then the conversation over the visitor websocket.
// The chat survives a reload: its id and token are kept in sessionStorage.
// When nobody can answer (GET /api/v1/departments/), the same form sends an offline message
// instead (POST /api/v1/visitor/offline-messages/); so does it when the last agent who could
// answer goes away while the visitor waits (chat.missed, reason "no_agents").
import { api, ApiError } from "../common/api.js";
import { attachComposer, typingIndicator } from "../common/composer.js";
import { countdown, newClientId } from "../common/dom.js";
import { gettext, interpolate, ngettext } from "../common/i18n.js";
import { frameRouter } from "../common/router.js";
import { MessageSequence } from "../common/sequence.js";
import { ReconnectingSocket, wsUrl } from "../common/socket.js";
import { showAfterChat } from "./aftercare.js";
import { Attention, tellWidget } from "./attention.js";
import { applyColour, availabilityFor, formatOpening, readDepartments } from "./availability.js";

const config = JSON.parse(document.getElementById("config").textContent);
const STORAGE_KEY = "helpdesk.chat";
const OFFLINE_URL = "/api/v1/visitor/offline-messages/";
const FIELDS = ["name", "email", "question", "department"];

const form = document.getElementById("prechat");
const submitButton = document.getElementById("prechat-submit");
const subtitle = document.getElementById("visitor-subtitle");
const defaultGreeting = subtitle.textContent;
let greeting = defaultGreeting; // the chosen department's, shown while waiting too
const attention = new Attention(new URL("./ring.wav", import.meta.url).href);

// Inside the widget: the header's close button (and Esc) hide the widget; the chat goes on.
document.getElementById("close-widget")?.addEventListener("click", () => tellWidget("close"));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !event.isComposing && !document.querySelector("dialog[open]")) tellWidget("close");
});

// Pre-chat form ------------------------------------------------------------------------------

function showFieldErrors(errors) {
  for (const name of FIELDS) {
    const input = form.elements[name];
    const message = errors[name] ? [].concat(errors[name]).join(" ") : "";
    const slot = document.getElementById(`error-${name}`);
    slot.textContent = message;
    slot.hidden = !message;
    input.setAttribute("aria-invalid", message ? "true" : "false");
  }
  const general = document.getElementById("error-form");
  const nonField = errors.non_field_errors ? [].concat(errors.non_field_errors).join(" ") : "";
  general.textContent = nonField;
  general.hidden = !nonField;
  const firstInvalid = form.querySelector('[aria-invalid="true"]');
  if (firstInvalid) firstInvalid.focus();
}

// A 400 body's field errors, or the detail alone (a rule with no field names).
function errorsFromBody(body) {
  const errors = {};
  for (const name of FIELDS) if (body[name]) errors[name] = body[name];
  if (body.non_field_errors) errors.non_field_errors = body.non_field_errors;
  if (!Object.keys(errors).length) errors.non_field_errors = body.detail || gettext("Please check the form.");
  return errors;
}

function clientSideErrors(data) {
  const errors = {};
  if (!data.name.trim()) errors.name = gettext("Please enter your name.");
  if (!data.email.trim()) errors.email = gettext("Please enter your e-mail address.");
  else if (!form.elements.email.checkValidity()) errors.email = gettext("Enter a valid email address.");
  if (!data.question.trim()) {
    errors.question = offline
      ? gettext("Please write your message.")
      : gettext("Please tell us what you need help with.");
  }
  return errors;
}

// Availability: the form starts a chat, or sends an offline message --------------------------

let departments = null; // the last list read; null: not read (yet), everything counts as available
let offline = null; // null: the form starts a chat; else what the away notice says
let afterMissed = null; // {session, department} when the form follows a chat nobody could take
let conversing = null; // once a chat is shown: its department's slug ("" for none)
const departmentsRead = readDepartments().then((list) => {
  departments = list;
  showAvailability();
});

function showAvailability() {
  const found = availabilityFor(departments, conversing ?? form.elements.department.value);
  applyColour(found.colour);
  tellWidget("colour", { colour: found.colour });
  if (conversing === null) setOffline(found.available ? null : found);
}

function setOffline(found) {
  offline = found;
  const notice = document.getElementById("away-notice");
  const opens = document.getElementById("away-opens");
  notice.hidden = !found;
  document.getElementById("question-label").textContent = found ? gettext("Message") : gettext("Question");
  submitButton.textContent = found ? gettext("Send message") : gettext("Start chat");
  document.getElementById("visitor-title").textContent = found ? gettext("Leave us a message") : gettext("Chat with us");
  if (!found) {
    greeting = availabilityFor(departments, form.elements.department.value).greeting || defaultGreeting;
    subtitle.textContent = greeting;
    return;
  }
  subtitle.textContent = gettext("We will answer by e-mail.");
  document.getElementById("away-heading").textContent = found.heading
    || (found.reason === "outside_hours" ? gettext("We are closed right now") : gettext("Nobody can answer right now"));
  document.getElementById("away-message").textContent = found.awayMessage
    || gettext("Leave us a message and we will answer you by e-mail.");
  const when = found.opensAt ? formatOpening(found.opensAt) : "";
  opens.textContent = when ? interpolate(gettext("We open again %(when)s."), { when }) : "";
  opens.hidden = !when;
}

form.elements.department.addEventListener("change", () => {
  showAvailability();
  // A fresh look: agents come and go while the visitor fills the form.
  readDepartments().then((list) => {
    if (list) {
      departments = list;
      showAvailability();
    }
  });
});

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = {
    name: form.elements.name.value,
    email: form.elements.email.value,
    question: form.elements.question.value,
    department: form.elements.department.value || null,
  };
  const errors = clientSideErrors(data);
  showFieldErrors(errors);
  if (Object.keys(errors).length) return;
  submitButton.disabled = true;
  try {
    if (offline) await sendOfflineMessage(data);
    else await startChat(data);
  } finally {
    submitButton.disabled = false;
  }
});
submitButton.disabled = false; // handled from here on (visitor.html)

async function startChat(data) {
  // Ask again right before starting: whoever was there when the page loaded may have gone.
  await departmentsRead;
  const fresh = await readDepartments();
  if (fresh) departments = fresh;
  showAvailability();
  if (offline) {
    document.getElementById("away-notice").scrollIntoView({ block: "nearest" });
    showFieldErrors({
      non_field_errors: gettext("Nobody can chat right now: send your question as a message instead."),
    });
    submitButton.disabled = false; // (disabled while sending) to take the focus
    submitButton.focus();
    return;
  }
  try {
    const page_url = document.referrer && /^https?:/.test(document.referrer) ? document.referrer.slice(0, 2000) : "";
    const started = await api("POST", config.startUrl, { ...data, page_url });
    const session = { chatId: started.chat_id, token: started.visitor_token, email: data.email, name: data.name };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    startConversation(session, {
      status: "waiting", question: data.question, department: data.department, agent: null, last_seq: 0,
    });
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 400) showFieldErrors(errorsFromBody(failure.body));
    else if (failure instanceof ApiError && failure.status === 429) {
      // Too many starts from here or for this e-mail, or too many of them waiting: the server
      // says which and when to try again.
      showFieldErrors({
        non_field_errors: failure.body.detail || gettext("Too many chats started; please wait a minute."),
      });
    } else showFieldErrors({ non_field_errors: gettext("We could not start the chat. Please try again.") });
  }
}

async function sendOfflineMessage(data) {
  const body = { name: data.name, email: data.email, question: data.question };
  const headers = {};
  if (afterMissed) {
    body.chat_id = afterMissed.session.chatId; // the same Missed Chats ticket as the chat
    headers["X-Visitor-Token"] = afterMissed.session.token;
    if (afterMissed.department) body.department = afterMissed.department;
  } else if (data.department) body.department = data.department;
  try {
    const sent = await api("POST", OFFLINE_URL, body, headers);
    sessionStorage.removeItem(STORAGE_KEY);
    tellWidget("session", { active: false });
    form.hidden = true;
    const section = document.getElementById("offline-sent");
    document.getElementById("offline-sent-text").textContent = interpolate(
      gettext("We will answer you by e-mail at %(email)s as soon as we can."),
      { email: data.email.trim() },
    );
    document.getElementById("offline-sent-reference").textContent =
      sent && sent.ticket_id ? interpolate(gettext("Your reference: #%(ticket)s"), { ticket: sent.ticket_id }) : "";
    section.hidden = false;
    section.querySelector("h2").focus();
  } catch (failure) {
    if (failure instanceof ApiError && (failure.status === 400 || failure.status === 404)) {
      showFieldErrors(errorsFromBody(failure.body));
    } else if (failure instanceof ApiError && failure.status === 429) {
      showFieldErrors({
        non_field_errors: failure.body.detail || gettext("Too many messages sent; please wait a minute."),
      });
    } else showFieldErrors({ non_field_errors: gettext("We could not send your message. Please try again.") });
  }
}

// The chat became missed because nobody who could answer is left: the offline form, filled with
// what the visitor wrote, sent with the chat's id and token so it joins the chat's ticket.
function offerOfflineForm(session, state, written) {
  afterMissed = { session, department: state.department || null };
  document.getElementById("conversation-view").hidden = true;
  form.hidden = false;
  form.elements.name.value = session.name || state.visitor_name || "";
  form.elements.email.value = session.email || "";
  form.elements.question.value = written.join("\n\n");
  form.elements.department.closest(".field").hidden = true;
  setOffline({
    heading: gettext("Sorry, nobody can answer right now"),
    awayMessage: gettext("Your message is kept. Check it, add anything you like and send it: we will answer you by e-mail."),
  });
  form.elements.question.focus();
}

// Conversation -------------------------------------------------------------------------------

function chatState(session) {
  return api("GET", `/api/v1/visitor/chats/${session.chatId}/`, undefined, { "X-Visitor-Token": session.token });
}

// An `error` frame for the visitor to read: the server's `detail` is English, so the codes a
// visitor's socket can get have their sentence here (the server's own words where it has fixed
// ones); any other code shows the detail as sent.
function errorText(frame) {
  switch (frame.code) {
    case "throttled": {
      const wait = frame.retry_after;
      if (typeof wait !== "number") return gettext("You are sending too quickly. Try again in a moment.");
      return interpolate(
        ngettext(
          "You are sending too quickly. Try again in %(wait)s second.",
          "You are sending too quickly. Try again in %(wait)s seconds.",
          wait,
        ),
        { wait },
      );
    }
    case "unavailable":
      return gettext("The service is temporarily unavailable; try again shortly.");
    case "internal":
      return gettext("Something went wrong on our side.");
    case "chat_closed":
      return gettext("This chat has ended.");
    case "not_found":
      return gettext("No such chat.");
    case "message_too_long":
      return interpolate(
        ngettext(
          "The message is longer than %(max)s character.",
          "The message is longer than %(max)s characters.",
          config.maxMessageChars,
        ),
        { max: config.maxMessageChars },
      );
    case "invalid": // only a message.send has input to refuse
      return gettext("Your message could not be sent.");
    case "invalid_json":
    case "unknown_type":
      return gettext("The page sent something the server could not read. Please reload the page.");
    case "not_allowed":
      return gettext("You cannot do that in this chat.");
    case "conflict":
      return gettext("Your message could not be sent. Please try again.");
    default:
      return frame.detail;
  }
}

function minutes(seconds) {
  return Math.max(1, Math.round(seconds / 60));
}

function startConversation(session, state) {
  const stateEl = document.getElementById("chat-state");
  const queueEl = document.getElementById("queue-position");
  const endingEl = document.getElementById("visitor-ending");
  const typing = typingIndicator(document.getElementById("visitor-typing"));
  const composer = document.getElementById("visitor-composer");
  const errorEl = document.getElementById("visitor-error");
  const endButton = document.getElementById("end-chat");
  const newButton = document.getElementById("new-chat");
  const confirmEnd = document.getElementById("end-confirm");
  let closed = false;
  let status = state.status;
  let leftWhileWaiting = false; // the visitor ended the chat before anyone answered
  let stopCountdown = () => {};
  const historySeq = state.last_seq || 0; // replayed on connect: not news
  const written = state.question ? [state.question] : []; // what the visitor wrote, for the offline form

  function setState(text, { isClosed = false } = {}) {
    stateEl.textContent = text;
    stateEl.classList.toggle("closed", isClosed);
  }

  function showAgent(agent) {
    if (agent) status = status === "waiting" ? "active" : status;
    if (agent) showQueue(null);
    setState(
      agent
        ? interpolate(gettext("You are chatting with %(name)s."), { name: agent.name })
        : gettext("Waiting for an agent… You can already write your message."),
    );
    subtitle.textContent = agent ? interpolate(gettext("%(name)s is here to help."), { name: agent.name }) : greeting;
  }

  function showQueue(frame) {
    const position = frame && status === "waiting" && !closed ? frame.position : null;
    queueEl.hidden = !position;
    if (!position) {
      queueEl.textContent = "";
      return;
    }
    const wait = frame.estimated_wait_seconds;
    queueEl.textContent = typeof wait === "number"
      ? interpolate(gettext("You are number %(position)s in the queue · about %(minutes)s min."), {
        position,
        minutes: minutes(wait),
      })
      : interpolate(gettext("You are number %(position)s in the queue."), { position });
  }

  function showEnding(endsAt) {
    stopCountdown();
    endingEl.hidden = !endsAt;
    if (endsAt) stopCountdown = countdown(endsAt, (left) => {
      endingEl.textContent = interpolate(gettext("This chat will end in %(left)s."), { left });
    });
  }

  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = !text;
  }

  function close(text) {
    closed = true;
    showEnding(null);
    showQueue(null);
    setState(text, { isClosed: true });
    composer.hidden = true;
    endButton.hidden = true;
    newButton.hidden = false;
    typing.clear();
    socket.stop();
    if (confirmEnd.open) confirmEnd.close();
  }

  function missed(frame) {
    const email = { email: session.email };
    if (frame.reason === "no_agents" && !leftWhileWaiting) {
      close(gettext("Sorry, nobody can answer right now."));
      offerOfflineForm(session, state, written);
    } else if (frame.reason === "abandoned" || leftWhileWaiting) {
      close(
        session.email
          ? interpolate(
            gettext("You ended the chat. Your message was kept: our team will reply by e-mail to %(email)s."),
            email,
          )
          : gettext("You ended the chat. Your message was kept: our team will reply by e-mail."),
      );
    } else {
      close(
        session.email
          ? interpolate(
            gettext("Sorry, nobody could answer in time. Your message was kept: our team will reply by e-mail to %(email)s."),
            email,
          )
          : gettext("Sorry, nobody could answer in time. Your message was kept: our team will reply by e-mail."),
      );
    }
  }

  async function refreshState() {
    try {
      const fresh = await chatState(session);
      if (closed) return; // ended while the request was out: that answer is stale
      if (fresh.status === "waiting" || fresh.status === "active" || fresh.status === "ending") {
        status = fresh.status;
        showAgent(fresh.agent);
      }
    } catch {
      /* the socket frames carry the same information */
    }
  }

  const socket = new ReconnectingSocket(); // not connected before start() below
  const messages = new MessageSequence(document.getElementById("visitor-messages"), {
    // The visitor's way to ask `after_seq`: reconnect; the replay comes in as message frames.
    fetchAfter: () => socket.restart(),
    onAdded: (frame) => {
      if (frame.sender.kind === "agent") {
        typing.clear();
        if (frame.seq > historySeq) attention.agentMessage();
      }
      if (frame.sender.kind === "visitor") written.push(frame.body);
    },
  });
  const route = frameRouter({
    message: (frame) => messages.receive(frame),
    typing: (frame) => typing.show(frame.sender.name),
    "chat.accepted": (frame) => showAgent(frame.agent),
    "transfer.accepted": (frame) => showAgent(frame.to),
    "queue.position": (frame) => showQueue(frame),
    "chat.ending": (frame) => showEnding(frame.ends_at),
    "chat.end_cancelled": () => showEnding(null),
    "chat.ended": () => {
      close(gettext("This chat has ended. Thank you for contacting us!"));
      showAfterChat(session, state.rating || null);
    },
    "chat.missed": missed,
    error: (frame) => showError(errorText(frame)),
  });
  const textarea = attachComposer(composer, {
    maxChars: config.maxMessageChars,
    send: (body) => socket.send({ type: "message.send", body, client_id: newClientId() }),
    typing: () => socket.send({ type: "typing" }),
    showError,
    notConnected: gettext("Not connected: your message was kept, send it again in a moment."),
  });

  function endNow() {
    if (!socket.send({ type: "chat.end" })) showError(gettext("Not connected: try again in a moment."));
  }
  endButton.addEventListener("click", () => {
    if (status !== "waiting") {
      endNow();
      return;
    }
    confirmEnd.returnValue = "";
    confirmEnd.showModal();
  });
  confirmEnd.addEventListener("close", () => {
    if (confirmEnd.returnValue !== "end" || closed) return;
    leftWhileWaiting = status === "waiting";
    endNow();
  });
  newButton.addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE_KEY);
    tellWidget("session", { active: false });
    location.reload();
  });

  conversing = state.department || "";
  showAvailability();
  form.hidden = true;
  document.getElementById("conversation-view").hidden = false;
  document.getElementById("visitor-title").textContent = state.question || gettext("Chat with us");
  tellWidget("session", { active: true });
  showAgent(state.agent);
  showEnding(state.status === "ending" ? state.ends_at : null);
  const token = encodeURIComponent(session.token);
  socket.start(() => wsUrl(`/ws/visitor/chats/${session.chatId}/?token=${token}&after_seq=${messages.lastSeq}`), {
    onFrame: route,
    onState: (socketState) => {
      if (closed) return;
      if (socketState === "reconnecting") setState(gettext("Reconnecting…"));
      else if (socketState === "refused") close(gettext("This chat can no longer be opened."));
    },
    onOpen: () => {
      if (!closed) refreshState();
    },
  });
  textarea.focus();
}

// A reload keeps the chat ------------------------------------------------------------------------

async function resume() {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  if (!stored) return;
  const session = JSON.parse(stored);
  let state;
  try {
    state = await chatState(session);
  } catch {
    sessionStorage.removeItem(STORAGE_KEY);
    tellWidget("session", { active: false });
    return;
  }
  startConversation(session, state);
}

resume();
