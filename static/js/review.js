// The review workspace works without JavaScript; this adds keys (←/→, A/D, F) and asks before
// approving a batch that still has flagged images.
(function () {
  "use strict";

  var root = document.getElementById("review");
  if (!root) return;

  function typing(evt) {
    var t = evt.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  document.addEventListener("keydown", function (evt) {
    if (typing(evt) || evt.ctrlKey || evt.metaKey || evt.altKey) return;
    if (document.querySelector("dialog[open]")) return;
    var link = null;
    // event.code: the key's place, so the shortcuts work on any keyboard layout (Persian too).
    if (evt.code === "ArrowRight" || evt.code === "KeyD") link = document.getElementById("next-link");
    if (evt.code === "ArrowLeft" || evt.code === "KeyA") link = document.getElementById("prev-link");
    if (link && link.getAttribute("href")) {
      evt.preventDefault();
      window.location.assign(link.href);
    } else if (evt.code === "KeyF") {
      var note = document.getElementById("flag-note");
      if (note) {
        evt.preventDefault();
        note.focus();
      }
    }
  });

  var current = document.querySelector("#strip a[aria-current=true]");
  if (current) current.scrollIntoView({ block: "nearest" });

  var form = document.getElementById("approve-form");
  var dialog = document.getElementById("approve-dialog");
  if (form && dialog && dialog.showModal) {
    form.addEventListener("submit", function (evt) {
      var summary = document.getElementById("flag-summary");
      var flagged = summary ? Number(summary.dataset.flagged || 0) : 0;
      if (!flagged) return;
      evt.preventDefault();
      document.getElementById("approve-dialog-text").textContent =
        flagged + " image" + (flagged === 1 ? " is" : "s are") + " still flagged. Approving sends the batch to " +
        "the Dataset as it is and clears " + (flagged === 1 ? "the flag and its note." : "their flags and notes.");
      dialog.showModal();
    });
    document.getElementById("approve-dialog-cancel").addEventListener("click", function () {
      dialog.close();
      form.querySelector("button").focus();
    });
  }
})();
