// One canvas for annotate, review and view: zoom and pan of an image-sized "canvas" inside a "viewport".
//
// The canvas is exactly width×height CSS pixels (the upright image's pixels) and holds the <img> and an SVG
// overlay in the same pixels; zoom and pan are one CSS transform on it, so boxes stay in image pixels at any
// zoom. This module owns that transform and the gestures that change it:
//   - the wheel zooms at the pointer (a trackpad pinch arrives as ctrl+wheel and zooms too);
//   - two fingers (touch or pen pointers) pinch-zoom and pan together;
//   - Space+drag and the middle button pan; on read-only pages (`dragPans`) a plain drag pans as well;
//   - buttons [data-zoom=fit|actual|in|out] and [data-toggle=boxes|labels] anywhere in the page;
//   - keys through handleKey(): H hides the boxes, L the labels, 0 fits, + and − zoom, and (where 1 is
//     not a class key) 1 shows actual pixels. Keys match event.code, so they work on any layout (Persian too).
// The annotate editor (annotate.js) draws on top; the review and the viewer (viewer.js) show a server-rendered
// overlay and swap the next image in without reloading the page (swapImage below).
(function () {
  "use strict";

  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }

  function typing(evt) {
    var t = evt.target;
    return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // opts: {viewport, canvas, width, height, dragPans, oneKey, onChange(view), onGesture()}
  function create(opts) {
    var viewport = opts.viewport, canvas = opts.canvas;
    // fitted: the view is at "fit"; only then does a resize of the window fit it again (a phone's address
    // bar hiding, a rotated tablet), so a zoom the person chose is never lost.
    var view = { scale: 1, tx: 0, ty: 0, width: opts.width, height: opts.height, spaceDown: false, fitted: true };
    var pointers = {}; // pointerId -> {x, y} of the pointers down on the viewport
    var gesture = null; // {kind: "pan" | "pinch", ...} while the canvas owns the pointers

    viewport.classList.add("is-live");

    function apply(fitted) {
      view.fitted = fitted === true;
      canvas.style.transform = "translate(" + view.tx + "px," + view.ty + "px) scale(" + view.scale + ")";
      // One screen pixel in image pixels: read-only overlays size their lines and labels with it (CSS).
      viewport.style.setProperty("--unit", String(1 / view.scale));
      // Beyond 3× the pixels show as squares: a reviewer checks that a box is tight to the pixel.
      viewport.classList.toggle("is-pixels", view.scale >= 3);
      // "%(percent)s%" in the page's language (viewer.html#zoom_tools), the number in its digits.
      document.querySelectorAll("[data-zoom-level]").forEach(function (el) {
        el.textContent = window.BinaBoard.format(el.dataset.zoomLevel || "%(percent)s%", { percent: Math.round(view.scale * 100) });
      });
      if (opts.onChange) opts.onChange(view);
    }
    function setSize(width, height) {
      view.width = width;
      view.height = height;
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
      viewport.style.setProperty("--aspect", width + " / " + height); // a phone's stage takes the image's shape
    }
    function fit() {
      var vw = viewport.clientWidth, vh = viewport.clientHeight;
      var s = Math.min(vw / view.width, vh / view.height, 4) * 0.98;
      view.scale = s > 0 ? s : 1;
      view.tx = (vw - view.width * view.scale) / 2;
      view.ty = (vh - view.height * view.scale) / 2;
      apply(true);
    }
    function zoomTo(s, cx, cy) {
      s = clamp(s, 0.02, 32);
      view.tx = cx - (cx - view.tx) * (s / view.scale);
      view.ty = cy - (cy - view.ty) * (s / view.scale);
      view.scale = s;
      apply();
    }
    function zoomAt(factor, cx, cy) { zoomTo(view.scale * factor, cx, cy); }
    function centre() { return [viewport.clientWidth / 2, viewport.clientHeight / 2]; }
    function zoomCentre(factor) { var c = centre(); zoomAt(factor, c[0], c[1]); }
    function actual() { var c = centre(); zoomTo(1, c[0], c[1]); }
    function local(evt) {
      var r = viewport.getBoundingClientRect();
      return { x: evt.clientX - r.left, y: evt.clientY - r.top };
    }
    function toImage(evt) {
      var p = local(evt);
      return { x: (p.x - view.tx) / view.scale, y: (p.y - view.ty) / view.scale };
    }
    function toggle(kind) {
      var hidden = viewport.classList.toggle("hide-" + kind);
      document.querySelectorAll("[data-toggle=" + kind + "]").forEach(function (button) {
        button.setAttribute("aria-pressed", hidden ? "false" : "true");
      });
    }

    // --- wheel and trackpad ---------------------------------------------------------------------------
    viewport.addEventListener("wheel", function (evt) {
      evt.preventDefault();
      var p = local(evt);
      // A trackpad pinch comes as ctrl+wheel with small steps: zoom faster so it follows the fingers.
      var speed = evt.ctrlKey ? 0.01 : 0.0015;
      var delta = evt.deltaMode === 1 ? evt.deltaY * 16 : evt.deltaY;
      zoomAt(Math.exp(-delta * speed), p.x, p.y);
    }, { passive: false });

    // --- pointers: pan and pinch ------------------------------------------------------------------------
    function startPinch() {
      var ids = Object.keys(pointers);
      var a = pointers[ids[0]], b = pointers[ids[1]];
      gesture = {
        kind: "pinch", ids: ids.slice(0, 2),
        distance: Math.max(Math.hypot(a.x - b.x, a.y - b.y), 1),
        mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
        scale: view.scale, tx: view.tx, ty: view.ty,
      };
      viewport.classList.remove("is-panning");
      if (opts.onGesture) opts.onGesture();
    }
    viewport.addEventListener("pointerdown", function (evt) {
      pointers[evt.pointerId] = local(evt);
      if (Object.keys(pointers).length === 2) {
        evt.preventDefault();
        try { viewport.setPointerCapture(evt.pointerId); } catch (e) { /* the pointer is gone already */ }
        startPinch();
        return;
      }
      if (gesture) return;
      var pan = evt.button === 1 || (evt.button === 0 && (view.spaceDown || opts.dragPans));
      if (!pan) return;
      evt.preventDefault(); // no native image drag, which would end the pan after its first step
      viewport.focus({ preventScroll: true });
      gesture = { kind: "pan", id: evt.pointerId, sx: evt.clientX, sy: evt.clientY, tx: view.tx, ty: view.ty };
      try { viewport.setPointerCapture(evt.pointerId); } catch (e) { /* the pointer is gone already */ }
      viewport.classList.add("is-panning");
    });
    viewport.addEventListener("pointermove", function (evt) {
      if (pointers[evt.pointerId]) pointers[evt.pointerId] = local(evt);
      if (!gesture) return;
      if (gesture.kind === "pan" && evt.pointerId === gesture.id) {
        view.tx = gesture.tx + (evt.clientX - gesture.sx);
        view.ty = gesture.ty + (evt.clientY - gesture.sy);
        apply();
      } else if (gesture.kind === "pinch") {
        var a = pointers[gesture.ids[0]], b = pointers[gesture.ids[1]];
        if (!a || !b) return;
        var s = clamp(gesture.scale * Math.hypot(a.x - b.x, a.y - b.y) / gesture.distance, 0.02, 32);
        var mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
        // The image point that was under the fingers' midpoint stays under it, wherever it moves.
        view.tx = mid.x - (gesture.mid.x - gesture.tx) * (s / gesture.scale);
        view.ty = mid.y - (gesture.mid.y - gesture.ty) * (s / gesture.scale);
        view.scale = s;
        apply();
      }
    });
    function lift(evt) {
      delete pointers[evt.pointerId];
      if (!gesture) return;
      // A pinch ends when every finger is up: the last one left on the glass never starts a drawing.
      if (gesture.kind === "pan" && evt.pointerId !== gesture.id) return;
      if (gesture.kind === "pinch" && Object.keys(pointers).length) return;
      gesture = null;
      viewport.classList.remove("is-panning");
    }
    viewport.addEventListener("pointerup", lift);
    viewport.addEventListener("pointercancel", lift);

    // --- Space held: a drag pans ------------------------------------------------------------------------
    document.addEventListener("keydown", function (evt) {
      // Space on a focused button or link presses it: only the viewport or the page itself pan.
      if (evt.code !== "Space" || typing(evt)) return;
      if (evt.target !== viewport && evt.target !== document.body) return;
      view.spaceDown = true;
      viewport.classList.add("is-panning");
      evt.preventDefault();
    });
    document.addEventListener("keyup", function (evt) {
      if (evt.code !== "Space") return;
      view.spaceDown = false;
      if (!gesture) viewport.classList.remove("is-panning");
    });

    // --- buttons and keys -------------------------------------------------------------------------------
    var zoomButtons = { fit: fit, actual: actual, "in": function () { zoomCentre(1.25); }, out: function () { zoomCentre(0.8); } };
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      var action = zoomButtons[button.dataset.zoom];
      if (action) button.addEventListener("click", action);
    });
    document.querySelectorAll("[data-toggle]").forEach(function (button) {
      button.addEventListener("click", function () { toggle(button.dataset.toggle); });
    });

    // The view's keys; true when the key was one of them.
    function handleKey(evt) {
      if (evt.ctrlKey || evt.metaKey || evt.altKey || typing(evt)) return false;
      var code = evt.code;
      if (code === "KeyH") toggle("boxes");
      else if (code === "KeyL") toggle("labels");
      else if (code === "Digit0" || code === "Numpad0") fit();
      else if (opts.oneKey && (code === "Digit1" || code === "Numpad1")) actual();
      else if (code === "Equal" || code === "NumpadAdd") zoomCentre(1.25);
      else if (code === "Minus" || code === "NumpadSubtract") zoomCentre(0.8);
      else return false;
      evt.preventDefault();
      return true;
    }

    var resizeTimer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(function () { if (view.fitted) fit(); }, 100);
    });

    setSize(view.width, view.height);
    return {
      view: view, fit: fit, actual: actual, zoomAt: zoomAt, zoomCentre: zoomCentre, toImage: toImage,
      setSize: setSize, toggle: toggle, handleKey: handleKey, apply: apply,
      busy: function () { return gesture !== null || view.spaceDown; },
    };
  }

  // --- next and previous without reloading: the server answers the image's parts as a fragment -------
  //
  // The answer (the page's URL asked with HX-Request) holds elements with ids. The one with the canvas's
  // id gives its new content and size (the canvas element itself stays, with its transform); every other
  // one replaces the element of the same id and goes through htmx (its forms post with htmx again).
  // The address follows with pushState, so reload opens this image and Back returns to the one before.
  function pager(opts) {
    // opts: {board (from create), canvas, onSwap(), nextLink(), text: {failed}}
    var loading = null;

    function preloadNext() {
      var link = opts.nextLink();
      var file = link && link.dataset.file;
      if (file) new window.Image().src = file; // the browser keeps it: the next image shows at once
    }

    function swap(html) {
      var template = document.createElement("template");
      template.innerHTML = html;
      var sameSize = false;
      var parts = Array.prototype.slice.call(template.content.children);
      // Not the image's parts (the batch moved on and the page says where it is now): open that page.
      if (!parts.some(function (el) { return el.id === opts.canvas.id; })) return false;
      parts.forEach(function (el) {
        if (!el.id) return;
        if (el.id === opts.canvas.id) {
          var w = Number(el.dataset.width), h = Number(el.dataset.height);
          sameSize = w === opts.board.view.width && h === opts.board.view.height;
          opts.canvas.replaceChildren.apply(opts.canvas, Array.prototype.slice.call(el.childNodes));
          opts.canvas.dataset.imageId = el.dataset.imageId || "";
          opts.board.setSize(w, h);
          return;
        }
        var old = document.getElementById(el.id);
        if (!old) return;
        old.replaceWith(el);
        if (window.htmx) window.htmx.process(el);
      });
      // Same size (frames of one video): keep the zoom and place, to compare them; otherwise fit.
      if (sameSize && !opts.board.view.fitted) opts.board.apply(); else opts.board.fit();
      return true;
    }

    function load(url, how) {
      if (!url || loading) return Promise.resolve(false);
      loading = fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true", Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status + " " + response.statusText);
          return response.text();
        })
        .then(function (html) {
          if (!swap(html)) { window.location.assign(url); return false; }
          if (how === "push") window.history.pushState({ canvasPage: true }, "", url);
          if (opts.onSwap) opts.onSwap();
          preloadNext();
          return true;
        })
        .catch(function () {
          if (window.BinaBoard && window.BinaBoard.showToast) window.BinaBoard.showToast(opts.text.failed, "error");
          return false;
        })
        .then(function (done) { loading = null; return done; });
      return loading;
    }

    window.addEventListener("popstate", function () { load(window.location.href, "pop"); });
    preloadNext();
    return { load: load };
  }

  // Scrolls the image strip (only the strip: on a phone the page must not jump down to it) to show `item`.
  function revealInList(list, item) {
    if (!list || !item) return;
    var outer = list.getBoundingClientRect(), inner = item.getBoundingClientRect();
    if (inner.top < outer.top) list.scrollTop -= outer.top - inner.top;
    else if (inner.bottom > outer.bottom) list.scrollTop += inner.bottom - outer.bottom;
  }

  window.BinaBoard = window.BinaBoard || {};
  window.BinaBoard.canvas = { create: create, pager: pager, typing: typing, revealInList: revealInList };
})();
