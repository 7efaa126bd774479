// Site-wide behaviour: toasts that fade, and the `showMessage` event any response can trigger
// (HX-Trigger: {"showMessage": {"text": "...", "level": "error"}}).
(function () {
  "use strict";

  // `undo` (from a move's answer): {url, version, from, label, seconds}: the toast offers Undo that long,
  // posting the batch as it was after the move; the server takes the move back or says why not.
  function showToast(text, level, undo) {
    var region = document.getElementById("toasts");
    if (!region || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    var words = document.createElement("span");
    words.textContent = text;
    toast.appendChild(words);
    var stay = level === "error" ? 9000 : 5000;
    if (undo && undo.url && window.htmx) {
      stay = Math.max(stay, (undo.seconds || 10) * 1000);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "toast-undo";
      button.setAttribute("data-undo", "");
      button.textContent = undo.label || "Undo";
      button.addEventListener("click", function () {
        button.disabled = true;
        toast.remove();
        var board = document.getElementById("board");
        htmx.ajax("POST", undo.url, {
          source: board || document.body,
          swap: "none",
          values: { version: undo.version, from: undo.from },
        });
      });
      toast.appendChild(button);
    }
    region.appendChild(toast);
    setTimeout(function () { toast.classList.add("toast-leaving"); }, stay);
    setTimeout(function () { toast.remove(); }, stay + 600);
  }
  window.BinaBoard = window.BinaBoard || {};
  window.BinaBoard.showToast = showToast;

  document.addEventListener("showMessage", function (event) {
    var detail = event.detail || {};
    showToast(detail.text || detail.value, detail.level, detail.undo);
  });

  // Server-rendered messages fade like the others.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.classList.add("toast-leaving"); }, 6000);
      setTimeout(function () { toast.remove(); }, 6600);
    });
  });
})();
