// The visitor's chat: pre-chat form, then the conversation over the visitor websocket.
// The chat survives a reload: its id and token are kept in sessionStorage.
import { api, ApiError } from "../common/api.js";
import { attachComposer, typingIndicator } from "../common/composer.js";
import { countdown, newClientId } from "../common/dom.js";
import { frameRouter } from "../common/router.js";
import { MessageSequence } from "../common/sequence.js";
import { ReconnectingSocket, wsUrl } from "../common/socket.js";

const config = JSON.parse(document.getElementById("config").textContent);
const STORAGE_KEY = "helpdesk.chat";

const form = document.getElementById("prechat");

// Pre-chat form ------------------------------------------------------------------------------

function showFieldErrors(errors) {
  for (const name of ["name", "email", "question", "department"]) {
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

function clientSideErrors(data) {
  const errors = {};
  if (!data.name.trim()) errors.name = "Please enter your name.";
  if (!data.email.trim()) errors.email = "Please enter your e-mail address.";
  else if (!form.elements.email.checkValidity()) errors.email = "Enter a valid email address.";
  if (!data.question.trim()) errors.question = "Please tell us what you need help with.";
  return errors;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = {
    name: form.elements.name.value,
    email: form.elements.email.value,
    question: form.elements.question.value,
    department: form.elements.department.value || null,
    page_url: document.referrer && /^https?:/.test(document.referrer) ? document.referrer.slice(0, 2000) : "",
  };
  const errors = clientSideErrors(data);
  showFieldErrors(errors);
  if (Object.keys(errors).length) return;
  const submit = form.querySelector("button[type=submit]");
  submit.disabled = true;
  try {
    const started = await api("POST", config.startUrl, data);
    const session = { chatId: started.chat_id, token: started.visitor_token, email: data.email, name: data.name };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    startConversation(session, { status: "waiting", question: data.question, agent: null });
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 400) showFieldErrors(failure.body);
    else if (failure instanceof ApiError && failure.status === 429) {
      // Too many starts from here or for this e-mail, or too many of them waiting: the server
      // says which and when to try again.
      showFieldErrors({ non_field_errors: failure.body.detail || "Too many chats started; please wait a minute." });
    } else showFieldErrors({ non_field_errors: "We could not start the chat. Please try again." });
  } finally {
    submit.disabled = false;
  }
});
form.querySelector("button[type=submit]").disabled = false; // handled from here on (visitor.html)

// Conversation -------------------------------------------------------------------------------

function chatState(session) {
  return api("GET", `/api/v1/visitor/chats/${session.chatId}/`, undefined, { "X-Visitor-Token": session.token });
}

function startConversation(session, state) {
  const stateEl = document.getElementById("chat-state");
  const endingEl = document.getElementById("visitor-ending");
  const typing = typingIndicator(document.getElementById("visitor-typing"));
  const composer = document.getElementById("visitor-composer");
  const errorEl = document.getElementById("visitor-error");
  const endButton = document.getElementById("end-chat");
  const newButton = document.getElementById("new-chat");
  let closed = false;
  let stopCountdown = () => {};

  function setState(text, { isClosed = false } = {}) {
    stateEl.textContent = text;
    stateEl.classList.toggle("closed", isClosed);
  }

  function showAgent(agent) {
    setState(agent ? `You are chatting with ${agent.name}.` : "Waiting for an agent… You can already write your message.");
    document.getElementById("visitor-subtitle").textContent = agent
      ? `${agent.name} is here to help.`
      : "We usually answer within a few minutes.";
  }

  function showEnding(endsAt) {
    stopCountdown();
    endingEl.hidden = !endsAt;
    if (endsAt) stopCountdown = countdown(endsAt, (left) => (endingEl.textContent = `This chat will end in ${left}.`));
  }

  function showError(text) {
    errorEl.textContent = text;
    errorEl.hidden = !text;
  }

  function close(text) {
    closed = true;
    showEnding(null);
    setState(text, { isClosed: true });
    composer.hidden = true;
    endButton.hidden = true;
    newButton.hidden = false;
    typing.clear();
    socket.stop();
  }

  async function refreshState() {
    try {
      const fresh = await chatState(session);
      if (fresh.status === "waiting" || fresh.status === "active" || fresh.status === "ending") showAgent(fresh.agent);
    } catch {
      /* the socket frames carry the same information */
    }
  }

  const socket = new ReconnectingSocket(); // not connected before start() below
  const messages = new MessageSequence(document.getElementById("visitor-messages"), {
    // The visitor's way to ask `after_seq`: reconnect; the replay comes in as message frames.
    fetchAfter: () => socket.restart(),
    onAdded: (frame) => {
      if (frame.sender.kind === "agent") typing.clear();
    },
  });
  const route = frameRouter({
    message: (frame) => messages.receive(frame),
    typing: (frame) => typing.show(frame.sender.name),
    "chat.accepted": (frame) => showAgent(frame.agent),
    "transfer.accepted": (frame) => showAgent(frame.to),
    "chat.ending": (frame) => showEnding(frame.ends_at),
    "chat.end_cancelled": () => showEnding(null),
    "chat.ended": () => close("This chat has ended. Thank you for contacting us!"),
    "chat.missed": () =>
      close(`Sorry, no one could answer right now. Our team will reply by e-mail${session.email ? ` to ${session.email}` : ""}.`),
    error: (frame) => showError(frame.detail),
  });
  const textarea = attachComposer(composer, {
    maxChars: config.maxMessageChars,
    send: (body) => socket.send({ type: "message.send", body, client_id: newClientId() }),
    typing: () => socket.send({ type: "typing" }),
    showError,
    notConnected: "Not connected: your message was kept, send it again in a moment.",
  });
  endButton.addEventListener("click", () => socket.send({ type: "chat.end" }));
  newButton.addEventListener("click", () => {
    sessionStorage.removeItem(STORAGE_KEY);
    location.reload();
  });

  form.hidden = true;
  document.getElementById("conversation-view").hidden = false;
  document.getElementById("visitor-title").textContent = state.question || "Chat with us";
  showAgent(state.agent);
  showEnding(state.status === "ending" ? state.ends_at : null);
  const token = encodeURIComponent(session.token);
  socket.start(() => wsUrl(`/ws/visitor/chats/${session.chatId}/?token=${token}&after_seq=${messages.lastSeq}`), {
    onFrame: route,
    onState: (socketState) => {
      if (closed) return;
      if (socketState === "reconnecting") setState("Reconnecting…");
      else if (socketState === "refused") close("This chat can no longer be opened.");
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
    return;
  }
  startConversation(session, state);
}

resume();
