// Tengja's small shared script. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  // A visitor's times follow their browser's time zone until they have a profile.
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    // Zone names (Area/City_Name) are cookie-safe as they are; Django does not decode cookies.
    if (zone && /^[A-Za-z0-9_+\-\/]+$/.test(zone) && document.cookie.indexOf("tengja_tz=" + zone) === -1) {
      document.cookie = "tengja_tz=" + zone + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* old browsers keep the default zone */ }

  // A form sent back with errors: its summary (includes/form_errors.html) takes the
  // focus, so a screen reader reads it and the keyboard starts there.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  // The name menu closes on Escape (focus back on its button) and on a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
})();
