/* Help desk chat widget. Embed with one tag:
 *   <script src="https://help.example.com/static/chat/widget.js" data-department="sales" async></script>
 * It adds a chat bubble in the bottom-right corner that opens the chat page in an iframe. The
 * help desk only lets its chat page be framed by origins in WIDGET_ALLOWED_ORIGINS. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__helpdeskWidget) return;
  window.__helpdeskWidget = true;

  var origin = new URL(script.src, location.href).origin;
  var department = script.getAttribute("data-department") || "";
  var src = origin + "/chat/?embed=1" + (department ? "&department=" + encodeURIComponent(department) : "");
  var open = false;
  var frame = null;

  var bubble = document.createElement("button");
  bubble.type = "button";
  bubble.setAttribute("aria-label", "Chat with us");
  bubble.setAttribute("aria-expanded", "false");
  bubble.innerHTML =
    '<svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="#fff" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z"/></svg>';
  Object.assign(bubble.style, {
    position: "fixed", right: "20px", bottom: "20px", width: "60px", height: "60px", borderRadius: "50%",
    border: "0", background: "#2563eb", boxShadow: "0 8px 24px rgba(15,23,42,.25)", cursor: "pointer",
    zIndex: "2147483000", display: "grid", placeItems: "center",
  });

  var panel = document.createElement("div");
  Object.assign(panel.style, {
    position: "fixed", right: "20px", bottom: "92px", width: "380px", height: "600px",
    maxWidth: "calc(100vw - 24px)", maxHeight: "calc(100vh - 112px)", borderRadius: "14px", overflow: "hidden",
    boxShadow: "0 12px 40px rgba(15,23,42,.3)", zIndex: "2147483000", display: "none", background: "#fff",
  });

  function fitToScreen() {
    // On a phone the chat takes the screen above the bubble, which stays to close it.
    var small = window.innerWidth < 520;
    Object.assign(panel.style, small
      ? { right: "0", bottom: "90px", width: "100vw", height: "calc(100vh - 90px)", maxWidth: "100vw", maxHeight: "none", borderRadius: "0" }
      : { right: "20px", bottom: "92px", width: "380px", height: "600px", maxWidth: "calc(100vw - 24px)", maxHeight: "calc(100vh - 112px)", borderRadius: "14px" });
  }

  function toggle(show) {
    open = show;
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = src;
      frame.title = "Live chat";
      frame.setAttribute("allow", "autoplay");
      Object.assign(frame.style, { width: "100%", height: "100%", border: "0" });
      panel.appendChild(frame);
    }
    panel.style.display = open ? "block" : "none";
    bubble.setAttribute("aria-expanded", String(open));
    bubble.setAttribute("aria-label", open ? "Close chat" : "Chat with us");
    fitToScreen();
  }

  bubble.addEventListener("click", function () { toggle(!open); });
  document.addEventListener("keydown", function (event) { if (open && event.key === "Escape") toggle(false); });
  window.addEventListener("resize", fitToScreen);
  document.body.appendChild(panel);
  document.body.appendChild(bubble);
})();
