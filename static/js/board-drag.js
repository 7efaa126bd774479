// While a card is dragged: columns it may not go to (for this person) are dimmed with a not-allowed
// cursor, and the others name the move a drop there means. The server renders each card's places
// (data-drops, from the rule book) and checks every drop again: a drop on a dimmed column snaps back
// with the server's reason.
(function () {
  "use strict";

  function dropsOf(card) {
    try { return JSON.parse(card.dataset.drops || "{}"); } catch (e) { return {}; }
  }

  function columnOf(element) { return element && element.closest ? element.closest("[data-column]") : null; }

  document.addEventListener("board:dragstart", function (event) {
    var card = event.detail.card;
    var drops = dropsOf(card);
    var home = columnOf(card);
    document.querySelectorAll("#board [data-column]").forEach(function (column) {
      var name = drops[column.dataset.column];
      if (name === undefined) {
        column.classList.add("drop-refused");
        return;
      }
      if (column === home) return;
      column.classList.add("drop-target");
      var label = document.createElement("p");
      label.className = "drop-name";
      label.setAttribute("data-drop-name", "");
      label.textContent = name;
      column.querySelector(".column-head").after(label);
    });
  });

  document.addEventListener("board:dragend", function () {
    document.querySelectorAll("#board .drop-refused, #board .drop-target").forEach(function (column) {
      column.classList.remove("drop-refused", "drop-target");
    });
    document.querySelectorAll("#board [data-drop-name]").forEach(function (label) { label.remove(); });
  });
})();
