// The bell's unread count (issue 18): any answer carrying X-Unread-Notifications updates it, so the
// board's existing poll keeps it fresh and the bell never polls on its own.
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail && event.detail.xhr;
    if (!xhr || !xhr.getResponseHeader) return;
    var raw = xhr.getResponseHeader("X-Unread-Notifications");
    if (raw === null) return;
    var count = document.querySelector("[data-bell-count]");
    if (!count) return;
    var n = parseInt(raw, 10) || 0;
    count.hidden = n === 0;
    count.querySelector("[data-bell-number]").textContent = window.BinaBoard.digits(n > 99 ? "99+" : n);
  });
})();
