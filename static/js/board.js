// The board's behaviour: drag-and-drop (SortableJS), the move dialogs, the card menus and live updates.
// Every move is also a plain form that works without this file; this only makes it nicer.
(function () {
  "use strict";

  var app = document.getElementById("board-app");
  if (!app || !window.htmx) return;

  // When htmx swaps a card it copies the old element's settle attributes onto the new one; SortableJS
  // leaves a (often empty) style attribute on dragged cards, and copying it trips the CSP (no inline
  // styles). Classes and sizes still settle.
  htmx.config.attributesToSettle = ["class", "width", "height"];

  // On a phone the columns are stacked and scroll with the page: a column that loaded more cards whenever its
  // end came into view never let a person scroll past it to the next column. There "Load more" waits for a tap.
  var stacked = window.BinaBoard.phone;
  document.addEventListener("htmx:beforeProcessNode", function (event) {
    var root = event.detail && event.detail.elt;
    if (!stacked.matches || !root || !root.querySelectorAll) return;
    var links = Array.prototype.slice.call(root.querySelectorAll(".load-more[hx-trigger]"));
    if (root.matches && root.matches(".load-more[hx-trigger]")) links.push(root);
    links.forEach(function (link) { link.setAttribute("hx-trigger", "click"); });
  });

  var state = {
    dragging: false,
    polling: false,
    lastCheck: Date.now(),
    refreshWanted: false,
    failing: false,
  };

  function byId(id) { return document.getElementById(id); }
  function token() { var input = byId("board-token"); return input ? input.value : ""; }
  function dialogOpen() { return !!document.querySelector("#dialog-slot dialog"); }
  function menuOpen() { return !!document.querySelector("#board details.card-menu[open]"); }

  function filterValues() {
    var values = {};
    var form = byId("board-filter");
    if (form) new FormData(form).forEach(function (value, key) { values[key] = value; });
    return values;
  }

  function columnOf(element) {
    var column = element && element.closest("[data-column]");
    return column ? column.dataset.column : "";
  }

  // How many cards each column shows, so a refresh re-renders as many (nothing jumps).
  function shownCounts() {
    return Array.prototype.map.call(document.querySelectorAll("#board [data-column]"), function (column) {
      return column.dataset.column + ":" + column.querySelectorAll(".card").length;
    }).join(",");
  }

  function siblingCard(card, direction) {
    var node = card[direction];
    while (node && !(node.classList && node.classList.contains("card"))) node = node[direction];
    return node;
  }

  // --- refreshing ---------------------------------------------------------------------------------

  // Re-render every column from the server (an empty token never matches, so the answer is the board).
  function refresh() {
    state.refreshWanted = false;
    return htmx.ajax("GET", app.dataset.versionUrl, {
      source: app,
      swap: "none",
      values: Object.assign(filterValues(), { token: "", shown: shownCounts() }),
    });
  }

  function busy() { return state.dragging || dialogOpen() || menuOpen(); }

  function poll() {
    if (document.hidden || state.polling) return;
    if (busy()) { return; }
    state.polling = true;
    htmx.ajax("GET", app.dataset.versionUrl, {
      source: app,
      swap: "none",
      values: Object.assign(filterValues(), { token: state.refreshWanted ? "" : token(), shown: shownCounts() }),
    }).then(function () {
      state.lastCheck = Date.now();
      state.refreshWanted = false;
    }).catch(function () {}).finally(function () { state.polling = false; });
  }

  function tickLiveLabel() {
    var label = document.querySelector("[data-live-ago]");
    if (!label) return;
    var seconds = Math.round((Date.now() - state.lastCheck) / 1000);
    var format = window.BinaBoard.format;
    label.textContent = seconds < 3 ? app.dataset.justNow : seconds < 90 ?
      format(app.dataset.secondsAgo, { n: seconds }) : format(app.dataset.minutesAgo, { n: Math.round(seconds / 60) });
  }

  // A live refresh must not pull the board from under a drag, an open dialog or an open menu:
  // drop that swap and fetch again once the person is done.
  var scrollTops = {};
  var focusedId = null;
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.matches || !target.matches("section[data-column]")) return;
    if (state.polling && busy()) {
      event.detail.shouldSwap = false;
      state.refreshWanted = true;
      return;
    }
    var list = target.querySelector(".column-cards");
    scrollTops[target.id] = list ? list.scrollTop : 0;
    if (target.contains(document.activeElement) && document.activeElement.id) focusedId = document.activeElement.id;
  });
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || !(target.id in scrollTops)) return;
    var column = byId(target.id);
    var list = column && column.querySelector(".column-cards");
    if (list) list.scrollTop = scrollTops[target.id];
    delete scrollTops[target.id];
    if (focusedId && byId(focusedId) && column.contains(byId(focusedId))) byId(focusedId).focus();
  });

  // --- drag and drop ------------------------------------------------------------------------------

  function onDrop(event) {
    state.dragging = false;
    var card = event.item;
    var from = columnOf(event.from);
    var to = columnOf(event.to);
    if (from === to && event.oldIndex === event.newIndex) return;
    var before = siblingCard(card, "previousElementSibling");
    var after = siblingCard(card, "nextElementSibling");
    // The move is posted explicitly, with the column the card came from: a cross-list drop fires
    // `end` on the source list, so hx-trigger="end" would post the wrong column.
    htmx.ajax("POST", card.dataset.moveUrl, {
      source: card,
      swap: "none",
      values: Object.assign(filterValues(), {
        from: from,
        to: to,
        version: card.dataset.version,
        token: token(),
        before: before ? before.dataset.batchId : "",
        after: after ? after.dataset.batchId : "",
      }),
    });
  }

  function initSortables(root) {
    if (!window.Sortable) return;
    var lists = root.matches && root.matches(".column-cards") ? [root] : root.querySelectorAll(".column-cards");
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable) return;
      list.dataset.sortable = "1";
      var column = list.closest("[data-column]");
      Sortable.create(list, {
        group: "board",
        // A column shown in another order than the board's own cannot be reordered by hand (cards still
        // move to and from it).
        sort: !column || !column.dataset.sort || column.dataset.sort === "board",
        draggable: ".card",
        forceFallback: true, // one code path for mouse, touch and Playwright
        // On a touch screen a swipe over a card scrolls the page; only a long press picks the card up (a swipe
        // used to drag it, and letting go posted a move the person never meant).
        delay: 300,
        delayOnTouchOnly: true,
        touchStartThreshold: 6,
        fallbackOnBody: true,
        animation: 120,
        emptyInsertThreshold: 40,
        filter: ".card-menu, a, button, input, select, textarea",
        preventOnFilter: false,
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        dragClass: "card-dragging",
        onStart: function (event) {
          state.dragging = true;
          document.dispatchEvent(new CustomEvent("board:dragstart", { detail: { card: event.item } }));
        },
        onEnd: function (event) {
          document.dispatchEvent(new CustomEvent("board:dragend", { detail: { card: event.item } }));
          onDrop(event);
        },
      });
    });
  }

  // --- dialogs ------------------------------------------------------------------------------------

  function focusFirst(dialog) {
    var target = dialog.querySelector("[aria-invalid=true]") || dialog.querySelector("[autofocus]") ||
      dialog.querySelector("input:not([type=hidden]), select, textarea, button");
    if (target) target.focus();
  }

  function returnFocus(cardId) {
    var target = byId(cardId + "-moves") || byId(cardId + "-name");
    if (target) target.focus();
  }

  function openDialog(dialog) {
    if (dialog.dataset.ready) return;
    dialog.dataset.ready = "1";
    document.querySelectorAll("#board details.card-menu[open]").forEach(function (menu) { menu.open = false; });
    if (!dialog.open) dialog.showModal();
    focusFirst(dialog);
    dialog.addEventListener("close", function () {
      // Closed by Escape or Cancel (a finished move removes the dialog instead): put the card back
      // where the server has it and give focus back to the card.
      if (!dialog.isConnected) return;
      var cardId = dialog.dataset.card;
      dialog.remove();
      refresh().then(function () { returnFocus(cardId); });
    });
  }

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest("[data-dialog-cancel]");
    if (cancel) {
      var dialog = cancel.closest("dialog");
      if (dialog) dialog.close();
    }
    // A click outside an open card menu closes it.
    document.querySelectorAll("#board details.card-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menu = event.target.closest && event.target.closest("details.card-menu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  // Typing how many images to assign means "only some of them". (The sentence saying what the
  // assignment will do comes from the server: the dialog asks again through htmx as the inputs change.)
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("[data-assign-form]");
    if (!form || event.target.name !== "count") return;
    var part = form.querySelector("input[name=scope][value=part]");
    if (part && !part.checked) {
      part.checked = true;
      part.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // --- answers from the server --------------------------------------------------------------------

  // After a move: focus the card where it now is (or its column when it left the board).
  document.body.addEventListener("boardMoved", function (event) {
    var detail = event.detail || {};
    if (detail.card && byId(detail.card)) {
      returnFocus(detail.card);
    } else if (detail.columns && detail.columns.length) {
      var heading = byId("column-" + detail.columns[0] + "-title");
      if (heading) heading.focus();
    }
  });

  // Anything unexpected (a 5xx, the network): say so once and show the board as the server has it.
  // Polls keep failing quietly after the first message, until one gets through again.
  function say(text) {
    if (window.BinaBoard && window.BinaBoard.showToast) window.BinaBoard.showToast(text, "error");
  }
  function isPoll(event) {
    var config = event.detail && event.detail.requestConfig;
    return !!(config && config.path && config.path.indexOf(app.dataset.versionUrl) === 0);
  }
  function signedOutAnswer(event) {
    var xhr = event.detail && event.detail.xhr;
    return !!xhr && (xhr.status === 401 || xhr.status === 403);
  }
  document.body.addEventListener("htmx:responseError", function (event) {
    state.polling = false;
    if (signedOutAnswer(event)) return; // app.js checks the session and says "signed out" if so
    if (isPoll(event)) {
      if (!state.failing) say(app.dataset.refreshFailed);
      state.failing = true;
      return;
    }
    say(app.dataset.serverFailed);
    refresh();
  });
  document.body.addEventListener("htmx:sendError", function () {
    state.polling = false;
    if (!state.failing) say(app.dataset.offline);
    state.failing = true;
  });
  document.body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) state.failing = false;
  });

  htmx.onLoad(function (element) {
    if (!element.querySelectorAll) return;
    initSortables(element);
    var dialogs = element.matches("dialog") ? [element] : element.querySelectorAll("dialog");
    Array.prototype.forEach.call(dialogs, openDialog);
  });

  // Signed out (app.js shows the notice): a drag that did not happen is put back once signed in again.
  if (window.BinaBoard && window.BinaBoard.session) window.BinaBoard.session.onSignedIn(function () { refresh(); });

  // --- start --------------------------------------------------------------------------------------

  initSortables(document);
  var live = byId("board-live");
  if (live) live.hidden = false;
  var seconds = Math.max(2, Number(app.dataset.pollSeconds) || 4);
  setInterval(poll, seconds * 1000);
  setInterval(tickLiveLabel, 1000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
})();
