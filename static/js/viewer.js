// The read-only canvas of the viewer and the review (static/js/canvas.js): zoom, pinch, pan with a drag or
// Space+drag, fit, 1:1, H hides the boxes, L the labels; ← → and A D move to the previous and next image
// without reloading the page (the server answers the image's parts; the address follows, so reload and Back work).
// Keys match event.code, so they work on any keyboard layout.
(function () {
  "use strict";

  var viewport = document.querySelector("[data-zoom-stage]");
  var canvasEl = viewport && viewport.querySelector("[data-zoom-canvas]");
  var lib = window.BinaBoard && window.BinaBoard.canvas;
  if (!viewport || !canvasEl || !lib) return;
  var textNode = document.getElementById("canvas-text");
  var text = textNode ? JSON.parse(textNode.textContent) : {};

  var board = lib.create({
    viewport: viewport, canvas: canvasEl,
    width: Number(canvasEl.dataset.width), height: Number(canvasEl.dataset.height),
    dragPans: true, oneKey: true,
  });
  board.fit();

  function link(which) { return document.querySelector("[data-nav=" + which + "]"); }

  function markStrip() {
    var strip = document.getElementById("strip");
    if (!strip) return;
    var currentId = canvasEl.dataset.imageId;
    var current = null;
    strip.querySelectorAll(".strip-item").forEach(function (li) {
      var a = li.querySelector("a");
      if (li.dataset.imageId === currentId) { a.setAttribute("aria-current", "true"); current = a; } else a.removeAttribute("aria-current");
    });
    lib.revealInList(strip, current);
  }

  var pages = lib.pager({
    board: board, canvas: canvasEl, text: text,
    nextLink: function () { return link("next"); },
    onSwap: markStrip,
  });
  window.BinaBoard.view = { board: board, pages: pages }; // for tests and the console

  function go(which) {
    var a = link(which);
    if (!a || !a.getAttribute("href")) return false;
    pages.load(a.href, "push");
    return true;
  }

  document.addEventListener("click", function (evt) {
    var a = evt.target.closest && evt.target.closest("[data-nav], #strip .strip-item a, #flag-summary a");
    if (!a || !a.getAttribute("href") || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.button !== 0) return;
    evt.preventDefault();
    pages.load(a.href, "push");
  });

  document.addEventListener("keydown", function (evt) {
    if (document.querySelector("dialog[open]")) return;
    if (board.handleKey(evt)) return;
    if (evt.ctrlKey || evt.metaKey || evt.altKey || lib.typing(evt)) return;
    var code = evt.code;
    var handled = false;
    var step = window.BinaBoard.imageStep(code);
    if (step) handled = go(step);
    if (handled) evt.preventDefault();
  });
  markStrip();
  // The address names the image shown, so a reload, a shared link or Back opens this one again.
  var here = document.querySelector("[data-here]");
  if (here && window.location.pathname + window.location.search !== here.dataset.here) {
    window.history.replaceState(null, "", here.dataset.here);
  }
})();
