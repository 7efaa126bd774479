// Selecting batches on the board for a bulk move: a checkbox per card, shift-click for a range in a
// column, a checkbox per column for every shown card, and the bulk bar with the moves every selected
// batch allows (each card lists its moves in data-moves, rendered by the server from the rule book).
(function () {
  "use strict";

  var bar = document.getElementById("bulk-bar");
  if (!bar || !window.htmx) return;

  var selected = {}; // batch id -> "id:version:column" as last seen
  var lastClicked = null;

  function boxes(root) { return Array.prototype.slice.call((root || document).querySelectorAll("[data-select-card]")); }
  function idOf(box) { return box.dataset.selectCard.split(":")[0]; }
  function cardOf(box) { return box.closest(".card"); }

  function render() {
    var present = {};
    boxes().forEach(function (box) {
      var id = idOf(box);
      present[id] = true;
      box.checked = id in selected;
      // A refreshed card brings its new version and column: the selection follows it.
      if (box.checked) selected[id] = box.dataset.selectCard;
      cardOf(box).classList.toggle("card-selected", box.checked);
    });
    Object.keys(selected).forEach(function (id) { if (!present[id]) delete selected[id]; });
    var ids = Object.keys(selected);
    var count = bar.querySelector("[data-bulk-count]");
    count.textContent = ids.length === 0 ? count.dataset.none :
      ids.length === 1 ? count.dataset.one : window.BinaBoard.format(count.dataset.many, { n: ids.length });
    // Screen readers hear the count as it changes (the bar itself is hidden while nothing is selected).
    var live = document.getElementById("selection-live");
    if (live && live.dataset.count !== String(ids.length)) {
      var announce = live.dataset.count !== undefined || ids.length > 0;
      live.dataset.count = String(ids.length);
      if (announce) live.textContent = count.textContent;
    }
    var inputs = bar.querySelector("[data-bulk-inputs]");
    inputs.textContent = "";
    ids.forEach(function (id) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "batch";
      input.value = selected[id];
      inputs.appendChild(input);
    });
    // Only the moves every selected card allows.
    var common = null;
    ids.forEach(function (id) {
      var card = document.getElementById("card-" + id);
      var moves = (card ? card.dataset.moves : "").split(/\s+/).filter(Boolean);
      common = common === null ? moves : common.filter(function (m) { return moves.indexOf(m) >= 0; });
    });
    var shown = 0;
    bar.querySelectorAll("[data-bulk-action]").forEach(function (button) {
      var action = button.dataset.bulkAction;
      var ok = !!common && common.indexOf(action) >= 0 && (action !== "merge" || ids.length > 1);
      button.hidden = !ok;
      if (ok) shown += 1;
    });
    bar.querySelector("[data-bulk-nothing]").hidden = shown > 0 || ids.length === 0;
    bar.hidden = ids.length === 0;
    document.querySelectorAll("[data-select-column]").forEach(function (box) {
      var column = document.getElementById("column-" + box.dataset.selectColumn);
      var inColumn = boxes(column);
      var checked = inColumn.filter(function (b) { return b.checked; }).length;
      box.checked = inColumn.length > 0 && checked === inColumn.length;
      box.indeterminate = checked > 0 && checked < inColumn.length;
    });
  }

  function setBox(box, on) {
    if (on) selected[idOf(box)] = box.dataset.selectCard;
    else delete selected[idOf(box)];
  }

  document.addEventListener("click", function (event) {
    var box = event.target.closest && event.target.closest("[data-select-card]");
    if (box) {
      var column = box.closest("[data-column]");
      if (event.shiftKey && lastClicked && lastClicked.isConnected && lastClicked.closest("[data-column]") === column) {
        var list = boxes(column);
        var a = list.indexOf(lastClicked), b = list.indexOf(box);
        list.slice(Math.min(a, b), Math.max(a, b) + 1).forEach(function (other) { setBox(other, box.checked); });
      } else {
        setBox(box, box.checked);
      }
      lastClicked = box;
      render();
      return;
    }
    var all = event.target.closest && event.target.closest("[data-select-column]");
    if (all) {
      boxes(document.getElementById("column-" + all.dataset.selectColumn)).forEach(function (other) { setBox(other, all.checked); });
      render();
      return;
    }
    if (event.target.closest && event.target.closest("[data-bulk-clear]")) {
      selected = {};
      render();
    }
  });

  // Columns re-rendered (a move, the live refresh, "load more"): keep the selection on the new cards.
  htmx.onLoad(function () { render(); });
  // A bulk move done: nothing stays selected.
  document.body.addEventListener("bulkDone", function () { selected = {}; render(); });
  render();
})();
