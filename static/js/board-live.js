// Partial board updates (#14): the live poll and every move posted from the board say which cards the page
// shows (per column, in order, "<batch id>.<data-sig>") and which columns have a "load more" link; the server
// answers with out-of-band swaps of only the cards that changed (batches/views/board_live.py). board.js stays
// as it is: this only adds two parameters to its requests and guards the card swaps like it guards columns.
(function () {
  "use strict";

  var app = document.getElementById("board-app");
  if (!app || !window.htmx) return;
  var MAX_LENGTH = 3000; // beyond this (hundreds of cards loaded) the server answers with whole columns

  function shownBoard() {
    var cards = [];
    var more = [];
    document.querySelectorAll("#board section[data-column]").forEach(function (column) {
      var ids = Array.prototype.map.call(column.querySelectorAll(".column-cards > .card"), function (card) {
        return card.dataset.batchId + "." + (card.dataset.sig || "");
      });
      cards.push(column.dataset.column + ":" + ids.join(","));
      if (column.querySelector(".column-cards > .load-more")) more.push(column.dataset.column);
    });
    return { cards: cards.join(";"), more: more.join(",") };
  }

  function isPoll(path) { return (path || "").indexOf(app.dataset.versionUrl) === 0; }

  document.body.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!isPoll(detail.path) && detail.verb !== "post") return;
    if (detail.verb === "post" && !(detail.elt && detail.elt.closest && detail.elt.closest("#board-app"))) return;
    var shown = shownBoard();
    if (shown.cards.length > MAX_LENGTH) return;
    detail.parameters.cards = shown.cards;
    detail.parameters.more = shown.more;
  });

  // A poll's card swaps must not land under a drag, an open dialog or an open menu (board.js holds back
  // whole columns the same way): skip them and blank the token, so the next poll compares again.
  var pollSwapping = false;
  var skipped = false;
  function busy() {
    return !!document.querySelector(".card-chosen, .card-dragging, #dialog-slot dialog, #board details.card-menu[open]");
  }
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var config = event.detail.requestConfig;
    pollSwapping = !!(config && isPoll(config.path));
  });
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (!pollSwapping || !busy()) return;
    var target = event.detail.target;
    if (!target || !target.closest || !target.closest("#board") || target.matches("section[data-column]")) return;
    event.detail.shouldSwap = false;
    skipped = true;
  });
  document.body.addEventListener("htmx:afterSwap", function () {
    if (pollSwapping && skipped) {
      var token = document.getElementById("board-token");
      if (token) token.value = "";
    }
    pollSwapping = false;
    skipped = false;
  });
})();
