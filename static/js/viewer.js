// The read-only viewer of one image: wheel zoom, fit, 1:1, drag to pan (the stage scrolls), H hides the
// boxes, L hides the labels, ← → and A D go to the previous and next image. Keys match event.code, so they
// work on any keyboard layout.
(function () {
  "use strict";

  var stage = document.getElementById("viewer-stage");
  var canvas = document.getElementById("viewer-canvas");
  if (!stage || !canvas) return;
  var width = Number(canvas.dataset.width);
  var scale = null; // null: fit the stage

  function fitScale() { return Math.min(stage.clientWidth / width, 1); }
  function apply() {
    if (scale === null) {
      canvas.style.width = "";
      canvas.style.maxWidth = "";
    } else {
      canvas.style.maxWidth = "none";
      canvas.style.width = Math.round(width * scale) + "px";
    }
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
  function toggle(button, cls) {
    var hidden = stage.classList.toggle(cls);
    button.setAttribute("aria-pressed", hidden ? "false" : "true");
  }
  function go(link) { if (link && link.getAttribute("href")) window.location.href = link.getAttribute("href"); }

  var boxes = document.getElementById("viewer-boxes"), labels = document.getElementById("viewer-labels");
  boxes.addEventListener("click", function () { toggle(boxes, "hide-boxes"); });
  labels.addEventListener("click", function () { toggle(labels, "hide-labels"); });
  document.getElementById("viewer-fit").addEventListener("click", function () { scale = null; apply(); });
  document.getElementById("viewer-actual").addEventListener("click", function () { scale = 1; apply(); });

  stage.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var r = stage.getBoundingClientRect();
    zoomBy(Math.exp(-evt.deltaY * 0.0015), evt.clientX - r.left, evt.clientY - r.top);
  }, { passive: false });

  var pan = null;
  stage.addEventListener("pointerdown", function (evt) {
    if (evt.button !== 0 && evt.button !== 1) return;
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
    if (evt.ctrlKey || evt.metaKey || evt.altKey || (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA"))) return;
    var code = evt.code;
    if (code === "KeyH") toggle(boxes, "hide-boxes");
    else if (code === "KeyL") toggle(labels, "hide-labels");
    else if (code === "KeyF" || code === "Digit0") { scale = null; apply(); }
    else if (code === "Digit1") { scale = 1; apply(); }
    else if (code === "Equal" || code === "NumpadAdd") zoomBy(1.25, stage.clientWidth / 2, stage.clientHeight / 2);
    else if (code === "Minus" || code === "NumpadSubtract") zoomBy(0.8, stage.clientWidth / 2, stage.clientHeight / 2);
    else if (code === "ArrowRight" || code === "KeyD") go(document.getElementById("viewer-next"));
    else if (code === "ArrowLeft" || code === "KeyA") go(document.getElementById("viewer-prev"));
    else return;
    evt.preventDefault();
  });

  // The next image is fetched ahead, so moving on shows it at once.
  var next = document.getElementById("viewer-next");
  if (next && next.getAttribute("href")) {
    var hint = document.createElement("link");
    hint.rel = "prefetch";
    hint.href = next.getAttribute("href");
    document.head.appendChild(hint);
  }
})();
