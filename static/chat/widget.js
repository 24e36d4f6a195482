/* Help desk chat widget. Embed with one tag:
 *   <script src="https://help.example.com/static/chat/widget.js" data-department="sales" async></script>
 * It adds a chat bubble in the bottom-right corner that opens the chat page in an iframe. The
 * help desk only lets its chat page be framed by origins in WIDGET_ALLOWED_ORIGINS.
 *
 * The chat page tells this script (postMessage) when an agent writes, the department's colour,
 * whether a chat is going on, and when its header's close button is pressed. Closed, the bubble
 * counts the agent's messages; while this page is hidden its title does ("(1) New message – …").
 * On a phone the open widget covers the screen. A chat going on survives a move to another page
 * of the site: the chat page is loaded again at once (hidden), so its messages are counted.
 * Language: data-lang="de" (en, de, fr, es) over the browser's; the widget's own texts come from
 * the help desk (/chat/widget-strings/), English until they arrive. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__helpdeskWidget) return;
  window.__helpdeskWidget = true;

  var origin = new URL(script.src, location.href).origin;
  var department = script.getAttribute("data-department") || "";
  var lang = script.getAttribute("data-lang") || "";
  var langParam = lang ? "lang=" + encodeURIComponent(lang) : "";
  var src = origin + "/chat/?embed=1" + (department ? "&department=" + encodeURIComponent(department) : "")
    + (langParam ? "&" + langParam : "");
  var text = {
    lang: lang || "en",
    open: "Chat with us",
    close: "Close chat",
    frame_title: "Live chat",
    unread: { one: "Chat with us (%(count)s new message)", other: "Chat with us (%(count)s new messages)" },
    page_title: "(%(count)s) New message – %(title)s",
  };
  var STORE = "helpdesk.widget";
  var PHONE_WIDTH = 520;
  var open = false;
  var frame = null;
  var unread = 0; // agent messages that came while the widget was closed
  var unseen = 0; // agent messages that came while this page was hidden
  var pageTitle = null;
  var remembered = load();

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE)) || {};
    } catch (failure) {
      return {};
    }
  }

  function remember(key, value) {
    remembered[key] = value;
    try {
      sessionStorage.setItem(STORE, JSON.stringify(remembered));
    } catch (failure) {
      /* storage refused: the widget still works on this page */
    }
  }

  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.setAttribute("aria-expanded", "false");
  bubble.innerHTML =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true" focusable="false"><path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  Object.assign(bubble.style, {
    position: "fixed", right: "20px", bottom: "20px", width: "60px", height: "60px", borderRadius: "50%",
    border: "0", background: "#2563eb", color: "#fff", boxShadow: "0 8px 24px rgba(15,23,42,.25)", cursor: "pointer",
    zIndex: "2147483000", display: "grid", placeItems: "center", padding: "0",
  });
  var badge = document.createElement("span");
  badge.setAttribute("aria-hidden", "true");
  Object.assign(badge.style, {
    position: "absolute", top: "-4px", right: "-4px", minWidth: "22px", height: "22px", padding: "0 6px",
    borderRadius: "11px", background: "#dc2626", color: "#fff", border: "2px solid #fff", boxSizing: "border-box",
    font: "700 12px/18px system-ui, sans-serif", textAlign: "center", display: "none",
  });
  bubble.appendChild(badge);

  var panel = document.createElement("div");
  Object.assign(panel.style, {
    position: "fixed", overflow: "hidden", boxShadow: "0 12px 40px rgba(15,23,42,.3)", zIndex: "2147483000",
    display: "none", background: "#fff",
  });

  function fill(format, values) {
    return format.replace(/%\((\w+)\)s/g, function (whole, name) { return name in values ? String(values[name]) : whole; });
  }

  function unreadLabel(count) {
    var form = "other";
    try {
      form = new Intl.PluralRules(text.lang).select(count) === "one" ? "one" : "other";
    } catch (failure) {
      form = count === 1 ? "one" : "other";
    }
    return fill(text.unread[form], { count: count });
  }

  function isPhone() {
    return window.innerWidth < PHONE_WIDTH;
  }

  function fitToScreen() {
    // On a phone the open chat covers the screen; its header's close button closes it.
    var phone = isPhone();
    Object.assign(panel.style, phone
      ? { top: "0", left: "0", right: "0", bottom: "0", width: "100%", height: "100%", maxWidth: "none", maxHeight: "none", borderRadius: "0" }
      : { top: "auto", left: "auto", right: "20px", bottom: "92px", width: "380px", height: "600px", maxWidth: "calc(100vw - 24px)", maxHeight: "calc(100vh - 112px)", borderRadius: "14px" });
    bubble.style.display = open && phone ? "none" : "grid";
  }

  function showUnread() {
    badge.textContent = unread ? (unread > 99 ? "99+" : String(unread)) : "";
    badge.style.display = unread ? "block" : "none";
    bubble.setAttribute("aria-label", open ? text.close : unread ? unreadLabel(unread) : text.open);
  }

  function showUnseen() {
    if (unseen) {
      if (pageTitle === null) pageTitle = document.title;
      document.title = fill(text.page_title, { count: unseen, title: pageTitle });
    } else if (pageTitle !== null) {
      document.title = pageTitle;
      pageTitle = null;
    }
  }

  function ensureFrame() {
    if (frame) return;
    frame = document.createElement("iframe");
    frame.src = src;
    frame.title = text.frame_title;
    frame.setAttribute("allow", "autoplay");
    Object.assign(frame.style, { width: "100%", height: "100%", border: "0", display: "block" });
    panel.appendChild(frame);
  }

  function toggle(show) {
    open = show;
    if (open) ensureFrame();
    panel.style.display = open ? "block" : "none";
    bubble.setAttribute("aria-expanded", String(open));
    if (open) unread = 0;
    remember("open", open);
    fitToScreen();
    showUnread();
  }

  // Text on the colour: white, or ink when white would not read (WCAG contrast).
  function luminance(hex) {
    var sum = 0;
    var weights = [0.2126, 0.7152, 0.0722];
    for (var i = 0; i < 3; i++) {
      var channel = parseInt(hex.substr(1 + 2 * i, 2), 16) / 255;
      sum += weights[i] * (channel <= 0.03928 ? channel / 12.92 : Math.pow((channel + 0.055) / 1.055, 2.4));
    }
    return sum;
  }

  function setColour(colour) {
    if (!/^#[0-9a-fA-F]{6}$/.test(colour || "")) return;
    var light = luminance(colour);
    var onWhite = 1.05 / (light + 0.05);
    var onInk = (light + 0.05) / (luminance("#111827") + 0.05);
    bubble.style.background = colour;
    bubble.style.color = onWhite >= onInk ? "#fff" : "#111827";
    remember("colour", colour);
  }

  window.addEventListener("message", function (event) {
    if (!frame || event.source !== frame.contentWindow || event.origin !== origin) return;
    var data = event.data;
    if (!data || data.source !== "helpdesk-chat") return;
    if (data.type === "close") {
      toggle(false);
      bubble.focus();
    } else if (data.type === "agent-message") {
      if (!open) unread += 1;
      if (document.hidden) unseen += 1;
      showUnread();
      showUnseen();
    } else if (data.type === "colour") {
      setColour(data.colour);
    } else if (data.type === "session") {
      remember("chat", !!data.active);
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && unseen) {
      unseen = 0;
      showUnseen();
    }
  });
  bubble.addEventListener("click", function () {
    toggle(!open);
    if (open) frame.focus(); // into the chat: on a phone the bubble is gone now
  });
  document.addEventListener("keydown", function (event) { if (open && event.key === "Escape") toggle(false); });
  window.addEventListener("resize", fitToScreen);
  if (remembered.colour) setColour(remembered.colour);
  document.body.appendChild(panel);
  document.body.appendChild(bubble);
  showUnread();
  fitToScreen();
  fetch(origin + "/chat/widget-strings/" + (langParam ? "?" + langParam : ""))
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (strings) {
      if (!strings) return;
      text = strings;
      if (frame) frame.title = text.frame_title;
      showUnread();
    })
    .catch(function () { /* the English texts stay */ });
  // A chat going on (started on an earlier page of this site, this tab): load it now, so the
  // bubble counts what the agent writes; open it again if it was open.
  if (remembered.chat) {
    ensureFrame();
    if (remembered.open) toggle(true);
  }
})();
