// The board from the keyboard: one tab stop for all cards (a roving tabindex). Arrow keys move between
// the cards of a column and across columns (in a right-to-left page ArrowLeft goes to the column on the
// left, the next one), Home/End to a column's ends, Enter opens the card's menu, Space selects the card.
// The links and buttons of the card that holds the tab stop stay reachable with Tab; those of the other
// cards are skipped, so reaching Dataset takes a few keys instead of hundreds of Tabs.
(function () {
  "use strict";

  var board = document.getElementById("board");
  if (!board || !window.htmx) return;

  var currentId = null;
  var INNER = "a[href], button, input, select, textarea, summary";

  function columns() { return Array.prototype.slice.call(board.querySelectorAll("section[data-column]")); }
  function cardsOf(column) { return Array.prototype.slice.call(column.querySelectorAll(".column-cards > .card")); }
  function heading(column) { return column.querySelector(".column-head h2"); }
  function rtl() { return getComputedStyle(board).direction === "rtl"; }

  function setInner(card, on) {
    card.querySelectorAll(INNER).forEach(function (element) {
      if (element.closest(".menu")) return; // a menu's items are reached from its open summary
      if (on) element.removeAttribute("tabindex");
      else element.setAttribute("tabindex", "-1");
    });
  }

  function makeCurrent(card) {
    board.querySelectorAll(".card").forEach(function (other) {
      if (other === card) return;
      if (other.getAttribute("tabindex") !== "-1") other.setAttribute("tabindex", "-1");
      setInner(other, false);
    });
    card.setAttribute("tabindex", "0");
    setInner(card, true);
    currentId = card.id;
  }

  // After any swap: every card gets its tabindex, and the tab stop stays where it was (or goes to the first card).
  function apply() {
    var all = board.querySelectorAll(".card");
    if (!all.length) return;
    var current = currentId && document.getElementById(currentId);
    makeCurrent(current && board.contains(current) ? current : all[0]);
  }

  function focusCard(card) {
    makeCurrent(card);
    card.focus();
    card.scrollIntoView({ block: "nearest", inline: "nearest" });
  }

  function focusColumn(column, index) {
    var cards = cardsOf(column);
    if (cards.length) focusCard(cards[Math.min(index, cards.length - 1)]);
    else heading(column).focus();
  }

  function across(column, key, index) {
    var list = columns();
    var step = (key === "ArrowRight") !== rtl() ? 1 : -1;
    var next = list[list.indexOf(column) + step];
    if (next) focusColumn(next, index);
  }

  function openMenu(card) {
    var menu = card.querySelector("details.card-menu");
    if (!menu) return;
    menu.open = true;
    var first = menu.querySelector(".menu a, .menu button");
    if (first) first.focus();
  }

  board.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var key = event.key;
    // Up and down inside an open card menu.
    var menuItem = target.closest(".card-menu .menu a, .card-menu .menu button");
    if (menuItem && (key === "ArrowDown" || key === "ArrowUp")) {
      var items = Array.prototype.slice.call(target.closest(".menu").querySelectorAll("a, button"));
      var at = items.indexOf(menuItem) + (key === "ArrowDown" ? 1 : -1);
      if (items[at]) items[at].focus();
      event.preventDefault();
      return;
    }
    var column = target.closest("section[data-column]");
    if (!column) return;
    if (target.matches(".column-head h2")) {
      if (key === "ArrowDown" || key === "Home") focusColumn(column, 0);
      else if (key === "ArrowLeft" || key === "ArrowRight") across(column, key, 0);
      else return;
      event.preventDefault();
      return;
    }
    if (!target.classList.contains("card")) return;
    var cards = cardsOf(column);
    var index = cards.indexOf(target);
    switch (key) {
      case "ArrowDown": if (cards[index + 1]) focusCard(cards[index + 1]); break;
      case "ArrowUp": if (index > 0) focusCard(cards[index - 1]); else heading(column).focus(); break;
      case "Home": focusCard(cards[0]); break;
      case "End": focusCard(cards[cards.length - 1]); break;
      case "ArrowLeft": case "ArrowRight": across(column, key, index); break;
      case "Enter": openMenu(target); break;
      case " ": {
        var box = target.querySelector("[data-select-card]");
        if (!box) return;
        box.click();
        break;
      }
      default: return;
    }
    event.preventDefault();
  });

  // Clicking or tabbing into a card makes it the tab stop.
  board.addEventListener("focusin", function (event) {
    var card = event.target.closest(".card");
    if (card && card.id !== currentId) makeCurrent(card);
  });

  // A closed menu gives focus back to its card, not to the (now skipped) summary.
  board.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest("details.card-menu");
    var card = menu && menu.closest(".card");
    if (card) setTimeout(function () { if (!menu.open) focusCard(card); }, 0);
  });

  // Skip links: straight to a column's first card (or its heading when it has none).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-skip-column]");
    if (!link) return;
    var column = document.getElementById("column-" + link.dataset.skipColumn);
    if (!column) return;
    event.preventDefault();
    focusColumn(column, 0);
    // On a phone the columns are stacked: show the column from its heading, not only its first card.
    if (window.BinaBoard.phone.matches) column.scrollIntoView({ block: "start" });
  });

  htmx.onLoad(function () { apply(); });
  apply();
})();
