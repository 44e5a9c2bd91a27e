// A client's form saves itself a moment after each change (tengja.intake's
// form_save), and says so in a polite live region. Without this script the
// "Save draft" button does the same. No inline scripts: the CSP forbids them.
// A professional's note draft (tengja.notes' note_save) saves the same way.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) return;
  var status = form.querySelector("[data-save-status]");
  var timer = null;
  var pending = false;

  function say(text) {
    if (status) status.textContent = text;
  }

  function save() {
    timer = null;
    if (pending) {
      // One save at a time: try again when this one is back.
      timer = setTimeout(save, 400);
      return;
    }
    pending = true;
    var data = new FormData(form);
    fetch(form.dataset.autosave, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (response.ok && body.saved) say(form.dataset.saved);
          else say(body.error || form.dataset.failed);
        });
      })
      .catch(function () {
        say(form.dataset.failed);
      })
      .then(function () {
        pending = false;
      });
  }

  function changed(event) {
    // The name typed to sign is not an answer.
    if (event.target && event.target.name === "signed_name") return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 800);
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // Typed (or filled in by the browser) before this script ran: no event will
  // come for it, so save it now as if it had.
  var edited = Array.prototype.some.call(form.elements, function (field) {
    if (field.name === "signed_name" || field.type === "hidden") return false;
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.options && field.multiple) {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    if (field.options) {
      // A single choice with none marked shows its first option.
      var chosen = Array.prototype.findIndex.call(field.options, function (option) {
        return option.defaultSelected;
      });
      return field.selectedIndex !== Math.max(chosen, 0);
    }
    return "defaultValue" in field && field.value !== field.defaultValue;
  });
  if (edited) changed({ target: null });
})();
