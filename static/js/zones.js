// Time zones and times for pages that need them: the time zone picker's search,
// and times shown to a visitor in the browser's own zone. Loaded only on those
// pages; without it the picker is a plain select and times show in the zone named.
(function () {
  "use strict";

  var lang = document.documentElement.lang || "en";
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep the server's */ }

  function fold(text) {
    // Lower case without accents, so "reykjavik" finds "Reykjavík" and "isl" "Ísland".
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // A word this short is found only where a word starts ("est" finds EST and
  // Estonia, never West Africa); a longer one anywhere. (zones.py's _found.)
  var SHORT_WORD = 3;
  var WORD_CHAR = /[\p{L}\p{N}]/u;
  var RANKED = 3;  // found in another way than by its names

  function found(word, text) {
    if (word.length > SHORT_WORD || !WORD_CHAR.test(word[0])) return text.indexOf(word) !== -1;
    for (var at = text.indexOf(word); at !== -1; at = text.indexOf(word, at + 1)) {
      if (at === 0 || !WORD_CHAR.test(text[at - 1])) return true;
    }
    return false;
  }

  function rank(option, query) {
    // Listed first: the zones the query names exactly ("est", "gmt"); then those
    // whose place starts with it ("easter"); then those with a common name
    // starting with it ("eastern"); then the others. (zones.py's _rank.)
    var names = (option.getAttribute("data-aliases") || "").split("|").filter(Boolean);
    if (names.indexOf(query) !== -1) return 0;
    if (fold(option.textContent.trim()).indexOf(query) === 0) return 1;
    for (var i = 0; i < names.length; i++) if (names[i].indexOf(query) === 0) return 2;
    return RANKED;
  }

  function plural(select, count) {
    var one = "one";
    try { one = new Intl.PluralRules(lang).select(count); } catch (e) { one = count === 1 ? "one" : "other"; }
    var text = one === "one" ? select.getAttribute("data-one") : select.getAttribute("data-many");
    return (text || "%s").replace("%s", count);
  }

  function picker(select) {
    // On a first visit the server could not know the zone: pick the browser's.
    if (select.hasAttribute("data-detect") && browserZone) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === browserZone) { select.value = browserZone; break; }
      }
    }
    var full = select.cloneNode(true);  // every zone, kept aside while the list is filtered
    var field = document.createElement("div");
    field.className = "zone-search";
    var label = document.createElement("label");
    var input = document.createElement("input");
    var status = document.createElement("p");
    input.type = "search";
    input.id = select.id + "-search";
    input.autocomplete = "off";
    input.setAttribute("aria-controls", select.id);
    status.id = select.id + "-search-status";
    status.className = "helptext";
    status.setAttribute("aria-live", "polite");
    input.setAttribute("aria-describedby", status.id);
    label.htmlFor = input.id;
    label.textContent = select.getAttribute("data-search-label");
    field.appendChild(label);
    field.appendChild(input);
    field.appendChild(status);
    select.parentNode.insertBefore(field, select);

    // The person's own choice: what the select showed before any search, or what
    // they picked in it since. A search proposes a zone (the select shows it, and
    // saving keeps it); a search that finds nothing, or an emptied one, goes back
    // to this choice. (tengja.accounts.zones.zone_search does the same in Python.)
    var chosen = select.value;
    select.addEventListener("change", function () { chosen = select.value; });

    function pick(matches, query) {
      // The choice if it was found; else a zone that is the searched name's own
      // ("est" is New York's); else the first whose place starts with the query
      // ("easter": Easter Island); else one with a name starting with the query,
      // the shortest such name first ("eastern": Eastern Time before Eastern
      // European Time); else the first found.
      var exact = "", place = "", starting = null, first = matches.length ? matches[0].value : "";
      for (var i = 0; i < matches.length; i++) {
        var option = matches[i];
        if (option.value === chosen) return chosen;
        if (!place && fold(option.textContent).indexOf(query) === 0) place = option.value;
        var names = (option.getAttribute("data-best") || "").split("|").filter(Boolean);
        for (var j = 0; j < names.length; j++) {
          if (names[j] === query) exact = exact || option.value;
          if (names[j].indexOf(query) === 0) {
            var rank = [names[j].length, option.value];
            if (!starting || rank[0] < starting[0] || (rank[0] === starting[0] && rank[1] < starting[1])) starting = rank;
          }
        }
      }
      return exact || place || (starting && starting[1]) || first;
    }

    function filter() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var query = words.join(" ");
      var kept = document.createDocumentFragment();
      var hits = [];  // [rank, order, option, its copy]
      Array.prototype.forEach.call(full.children, function (group) {
        var isGroup = group.tagName === "OPTGROUP";
        var copy = isGroup ? group.cloneNode(false) : null;
        Array.prototype.forEach.call(isGroup ? group.children : [group], function (option) {
          var text = fold([option.textContent, option.value, group.label || "", option.getAttribute("data-names") || ""].join(" "));
          if (words.every(function (word) { return found(word, text); })) {
            var match = option.cloneNode(true);
            match.selected = false;
            var r = rank(option, query);
            hits.push([r, hits.length, option, match]);
            // The zones the query names go above the groups; the others stay in theirs.
            if (r === RANKED) { if (isGroup) copy.appendChild(match); else copy = match; }
          }
        });
        if (copy && (!isGroup || copy.children.length)) kept.appendChild(copy);
      });
      hits.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      var top = hits.filter(function (f) { return f[0] < RANKED; }).map(function (f) { return f[3]; });
      kept.prepend.apply(kept, top);
      var matches = hits.map(function (f) { return f[2]; });
      if (!words.length || matches.length === 0) {
        // Nothing typed, or nothing found: the whole list, and the person's own choice.
        select.replaceChildren.apply(select, Array.prototype.map.call(full.children, function (node) { return node.cloneNode(true); }));
        select.value = chosen;
        status.textContent = words.length ? select.getAttribute("data-none") : "";
        return;
      }
      select.replaceChildren(kept);
      select.value = pick(matches, query);
      status.textContent = plural(select, matches.length);
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      // Enter in the search keeps the form from being sent; the list has the answer,
      // which becomes the choice.
      if (event.key === "Enter") { event.preventDefault(); chosen = select.value; select.focus(); }
    });
  }

  document.querySelectorAll("select[data-zone-picker]").forEach(picker);

  // A time shown to a visitor: the server wrote it in the zone it knew (named
  // beside it); the browser rewrites it in its own zone, and names that.
  document.querySelectorAll("[data-local-time]").forEach(function (node) {
    if (!browserZone || node.getAttribute("data-zone") === browserZone) return;
    var start = new Date(node.getAttribute("data-start"));
    var end = new Date(node.getAttribute("data-end"));
    if (isNaN(start) || isNaN(end)) return;
    try {
      var day = new Intl.DateTimeFormat(lang, { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: browserZone });
      var time = new Intl.DateTimeFormat(lang, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: browserZone });
      node.querySelector("time").textContent = day.format(start) + ", " + time.format(start) + "–" + time.format(end);
      node.querySelector("[data-zone-name]").textContent = browserZone.replace(/_/g, " ");
      node.setAttribute("data-zone", browserZone);
    } catch (e) { /* an unknown zone: the server's time stays */ }
  });
})();
