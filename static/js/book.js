// The booking page: times follow the visitor's own time zone. Until the page
// knows it (no ?tz=, no profile, no cookie yet), ask again with the browser's.
(function () {
  "use strict";
  var page = document.querySelector("[data-booking-page][data-detect-zone]");
  if (!page) return;
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
    var url = new URL(window.location.href);
    if (url.searchParams.get("tz")) return;
    url.searchParams.set("tz", zone);
    window.location.replace(url.toString());
  } catch (e) { /* old browsers see the default zone, and can choose theirs */ }
})();
