// The review workspace works without JavaScript; this adds the F key (the flag note), Ctrl+Enter in the note
// (flag), Esc out of a field, and asks before approving a batch that still has flagged images. The image, its
// zoom and next/previous: viewer.js.
(function () {
  "use strict";

  var root = document.getElementById("review");
  if (!root) return;
  var textNode = document.getElementById("review-text");
  var text = textNode ? JSON.parse(textNode.textContent) : { approveFlagged: { one: "", other: "" } };

  function typing(evt) {
    var t = evt.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // ← → and A D, zoom and hiding are the shared canvas's (viewer.js); F goes to the flag note.
  document.addEventListener("keydown", function (evt) {
    if (document.querySelector("dialog[open]")) return;
    if (typing(evt)) {
      var field = evt.target;
      // Ctrl+Enter in the note flags the image (the button does, so htmx sends it as a click would).
      if (field.id === "flag-note" && evt.code === "Enter" && (evt.ctrlKey || evt.metaKey)) {
        var flag = field.form && field.form.querySelector("button[name=flagged][value='1']");
        if (flag) { evt.preventDefault(); flag.click(); }
      } else if (evt.code === "Escape" && root.contains(field)) {
        // Esc leaves the field: the keys move through the images again.
        evt.preventDefault();
        var stage = document.getElementById("stage");
        if (stage) stage.focus({ preventScroll: true }); else field.blur();
      }
      return;
    }
    if (evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (evt.code === "KeyF") {
      var note = document.getElementById("flag-note");
      if (note) {
        evt.preventDefault();
        note.focus();
      }
    }
  });

  var form = document.getElementById("approve-form");
  var dialog = document.getElementById("approve-dialog");
  if (form && dialog && dialog.showModal) {
    form.addEventListener("submit", function (evt) {
      var summary = document.getElementById("flag-summary");
      var flagged = summary ? Number(summary.dataset.flagged || 0) : 0;
      if (!flagged) return;
      evt.preventDefault();
      var sentence = flagged === 1 ? text.approveFlagged.one : text.approveFlagged.other;
      document.getElementById("approve-dialog-text").textContent = window.BinaBoard.format(sentence, { count: flagged });
      dialog.showModal();
    });
    document.getElementById("approve-dialog-cancel").addEventListener("click", function () {
      dialog.close();
      form.querySelector("button").focus();
    });
  }
})();
