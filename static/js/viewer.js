// One read-only canvas for the viewer and the review: wheel zoom, fit, 1:1, drag to pan (the stage scrolls),
// H hides the boxes, L hides the labels. Markup: a [data-zoom-stage] holding a [data-zoom-canvas] with
// data-width (the image's pixels), buttons [data-zoom=fit|actual] and [data-toggle=boxes|labels].
// In the viewer ← → and A D follow #viewer-prev and #viewer-next (the review has its own keys).
// Keys match event.code, so they work on any keyboard layout.
(function () {
  "use strict";

  var stage = document.querySelector("[data-zoom-stage]");
  var canvas = stage && stage.querySelector("[data-zoom-canvas]");
  if (!stage || !canvas) return;
  var width = Number(canvas.dataset.width);
  var scale = null; // null: fit the stage

  function fitScale() { return canvas.getBoundingClientRect().width / width; }
  function apply() {
    stage.classList.toggle("is-zoomed", scale !== null);
    canvas.style.width = scale === null ? "" : Math.round(width * scale) + "px";
  }
  function zoomBy(factor, cx, cy) {
    var before = scale === null ? fitScale() : scale;
    var after = Math.min(Math.max(before * factor, 0.05), 32);
    var px = (stage.scrollLeft + cx) / before, py = (stage.scrollTop + cy) / before;
    scale = after;
    apply();
    stage.scrollLeft = px * after - cx;
    stage.scrollTop = py * after - cy;
  }
  function fit() { scale = null; apply(); }
  function actual() { scale = 1; apply(); }
  function toggle(kind) {
    var button = document.querySelector("[data-toggle=" + kind + "]");
    var hidden = stage.classList.toggle("hide-" + kind);
    if (button) button.setAttribute("aria-pressed", hidden ? "false" : "true");
  }
  function go(id) {
    var link = document.getElementById(id);
    if (!link || !link.getAttribute("href")) return false;
    window.location.href = link.getAttribute("href");
    return true;
  }

  document.querySelectorAll("[data-toggle]").forEach(function (button) {
    button.addEventListener("click", function () { toggle(button.dataset.toggle); });
  });
  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", button.dataset.zoom === "fit" ? fit : actual);
  });

  stage.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var r = stage.getBoundingClientRect();
    zoomBy(Math.exp(-evt.deltaY * 0.0015), evt.clientX - r.left, evt.clientY - r.top);
  }, { passive: false });

  var pan = null;
  stage.addEventListener("pointerdown", function (evt) {
    if (evt.button !== 0 && evt.button !== 1) return;
    evt.preventDefault(); // no native image drag, which would end the pan after its first step
    pan = { x: evt.clientX, y: evt.clientY, left: stage.scrollLeft, top: stage.scrollTop };
    stage.setPointerCapture(evt.pointerId);
    stage.classList.add("is-panning");
  });
  stage.addEventListener("pointermove", function (evt) {
    if (!pan) return;
    stage.scrollLeft = pan.left - (evt.clientX - pan.x);
    stage.scrollTop = pan.top - (evt.clientY - pan.y);
  });
  function endPan() { pan = null; stage.classList.remove("is-panning"); }
  stage.addEventListener("pointerup", endPan);
  stage.addEventListener("pointercancel", endPan);

  document.addEventListener("keydown", function (evt) {
    var t = evt.target;
    if (evt.ctrlKey || evt.metaKey || evt.altKey || document.querySelector("dialog[open]")) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
    var code = evt.code;
    var handled = true;
    if (code === "KeyH") toggle("boxes");
    else if (code === "KeyL") toggle("labels");
    else if (code === "Digit0" || code === "Numpad0") fit();
    else if (code === "Digit1" || code === "Numpad1") actual();
    else if (code === "Equal" || code === "NumpadAdd") zoomBy(1.25, stage.clientWidth / 2, stage.clientHeight / 2);
    else if (code === "Minus" || code === "NumpadSubtract") zoomBy(0.8, stage.clientWidth / 2, stage.clientHeight / 2);
    else if (code === "ArrowRight" || code === "KeyD") handled = go("viewer-next");
    else if (code === "ArrowLeft" || code === "KeyA") handled = go("viewer-prev");
    else handled = false;
    if (handled) evt.preventDefault();
  });

  // The next image is fetched ahead, so moving on shows it at once.
  var next = document.getElementById("viewer-next") || document.getElementById("next-link");
  if (next && next.getAttribute("href")) {
    var hint = document.createElement("link");
    hint.rel = "prefetch";
    hint.href = next.getAttribute("href");
    document.head.appendChild(hint);
  }
})();
