// Site-wide behaviour: toasts that fade, and the `showMessage` event any response can trigger
// (HX-Trigger: {"showMessage": {"text": "...", "level": "error"}}).
(function () {
  "use strict";

  function showToast(text, level) {
    var region = document.getElementById("toasts");
    if (!region || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    toast.textContent = text;
    region.appendChild(toast);
    setTimeout(function () { toast.classList.add("toast-leaving"); }, level === "error" ? 9000 : 5000);
    setTimeout(function () { toast.remove(); }, level === "error" ? 9600 : 5600);
  }
  window.BinaBoard = window.BinaBoard || {};
  window.BinaBoard.showToast = showToast;

  document.addEventListener("showMessage", function (event) {
    var detail = event.detail || {};
    showToast(detail.text || detail.value, detail.level);
  });

  // Server-rendered messages fade like the others.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.classList.add("toast-leaving"); }, 6000);
      setTimeout(function () { toast.remove(); }, 6600);
    });
  });
})();
