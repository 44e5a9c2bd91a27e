// The live socket of every signed-in page (tengja.messaging.consumers, ws/live/):
// the header's unread messages count follows without a reload, and an open
// conversation (#message-list) shows a new message when it comes.
// Without this script everything is the same after a reload.
(function () {
  "use strict";

  if (!window.WebSocket || !window.fetch || !window.DOMParser) return;

  // Close codes after which trying again cannot help (see consumers.py).
  var FINAL = { 4400: true, 4401: true, 4403: true, 4404: true };
  var FIRST_DELAY = 500;
  var LONGEST_DELAY = 30000;
  var delay = FIRST_DELAY;
  var socket = null;
  var stopped = false;
  var fetching = null;

  var status = document.getElementById("live-status");

  function announce(text) {
    if (!status || !text) return;
    // Emptied first, so the same words said twice are said again.
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 100);
  }

  function showCount(count, label) {
    var badge = document.querySelector("[data-live-count]");
    var hidden = document.querySelector("[data-live-label]");
    if (!badge || !hidden) return;
    badge.textContent = String(count);
    badge.hidden = count < 1;
    hidden.textContent = count > 0 ? ", " + label : "";
  }

  // The open conversation's list, fetched again and swapped in.
  function refreshList(list) {
    if (fetching) return fetching;
    // Whether the newest message is in view: then the new one is brought into view.
    var last = list.lastElementChild;
    var seen = last ? last.getBoundingClientRect().bottom <= window.innerHeight + 1 : true;
    var focused = list.contains(document.activeElement) ? document.activeElement.id : "";
    fetching = fetch(window.location.href, {
      credentials: "same-origin",
      headers: { "Accept": "text/html" },
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    }).then(function (html) {
      var page = new DOMParser().parseFromString(html, "text/html");
      var fresh = page.getElementById("message-list");
      if (!fresh || fresh.getAttribute("data-conversation") !== list.getAttribute("data-conversation")) return;
      var nodes = Array.prototype.map.call(fresh.childNodes, function (node) {
        return document.importNode(node, true);
      });
      list.replaceChildren.apply(list, nodes);
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      if (seen && list.lastElementChild) list.lastElementChild.scrollIntoView({ block: "nearest" });
    }).catch(function () {
      // A reload shows it; nothing to tell here.
    }).then(function () {
      fetching = null;
    });
    return fetching;
  }

  var waitingToShow = null;
  function whenVisible(then) {
    if (document.visibilityState === "visible") { then(); return; }
    if (waitingToShow) return; // one refresh when shown is enough
    waitingToShow = function () {
      if (document.visibilityState !== "visible") return;
      document.removeEventListener("visibilitychange", waitingToShow);
      waitingToShow = null;
      then();
    };
    document.addEventListener("visibilitychange", waitingToShow);
  }

  function heard(data) {
    if (!data || data.type !== "unread" || typeof data.count !== "number") return;
    // The socket is open and listening (the browser tests wait for this).
    document.documentElement.setAttribute("data-live", "open");
    showCount(data.count, String(data.label || ""));
    if (!data.unread) return;
    // A message came for one of this person's conversations.
    var words = status ? status.getAttribute("data-new-message") : "";
    var list = document.getElementById("message-list");
    if (list && data.conversation && list.getAttribute("data-conversation") === data.conversation) {
      // Fetching the page marks the message read: only when someone can see it.
      // A tab in the background waits until it is shown (else the message would
      // be "read" by nobody, and its unread e-mail never sent).
      whenVisible(function () {
        refreshList(list).then(function () { announce(words); });
      });
    } else {
      announce(words);
    }
  }

  function connect() {
    if (stopped) return;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/live/");
    socket.addEventListener("open", function () { delay = FIRST_DELAY; });
    socket.addEventListener("message", function (event) {
      try { heard(JSON.parse(event.data)); } catch (e) { /* not ours: ignore */ }
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      document.documentElement.setAttribute("data-live", "closed");
      if (FINAL[event.code] || stopped) { stopped = true; return; }
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, LONGEST_DELAY);
    });
  }

  // Leaving the page: no reconnection while it unloads.
  window.addEventListener("pagehide", function () {
    stopped = true;
    if (socket) socket.close();
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted && stopped && !socket) { stopped = false; delay = FIRST_DELAY; connect(); }
  });

  connect();
})();
