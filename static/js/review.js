// The review workspace works without JavaScript; this adds the F key (the flag note) and asks before
// approving a batch that still has flagged images. The image, its zoom and next/previous: viewer.js.
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
    if (typing(evt) || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (document.querySelector("dialog[open]")) return;
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
