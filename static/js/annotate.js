// The annotate workspace: a small SVG box editor over the upright image, saving every change at once.
//
// Why not Annotorious: the page runs under a strict CSP (no inline styles), needs zoom and pan on a
// plain <img> (Annotorious needs OpenSeadragon for that), number-key classes and a save protocol
// that keeps an unsaved change visibly until it is stored. A focused editor does exactly that.
//
// Coordinates are pixels of the upright image (Image.width/height). The <img> and the <svg> share a
// "canvas" of exactly width×height CSS pixels; zoom and pan are one CSS transform on that canvas.
// Save protocol: the whole box list of ONE image is POSTed (replace semantics); one request in flight
// at a time; a failed save keeps the change on screen, says why, and offers Retry.
(function () {
  "use strict";

  var root = document.getElementById("annotate");
  var configNode = document.getElementById("annotate-config");
  if (!root || !configNode) return;
  var config = JSON.parse(configNode.textContent);
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MIN_DRAW_SCREEN = 4; // a drag shorter than this (screen pixels) is a click, not a box
  var HANDLE_SCREEN = 9;

  var els = {
    viewport: document.getElementById("viewport"),
    canvas: document.getElementById("canvas"),
    photo: document.getElementById("photo"),
    overlay: document.getElementById("overlay"),
    prev: document.getElementById("prev-link"),
    next: document.getElementById("next-link"),
    position: document.getElementById("image-position"),
    name: document.getElementById("image-name"),
    state: document.getElementById("image-state"),
    saveStatus: document.getElementById("save-status"),
    retry: document.getElementById("retry-save"),
    discard: document.getElementById("discard-change"),
    boxList: document.getElementById("box-list"),
    suggestions: document.getElementById("suggestions"), // rework (#19)
    suggestionCount: document.getElementById("suggestion-count"),
    boxEmpty: document.getElementById("box-empty"),
    boxCount: document.getElementById("box-count"),
    noObjects: document.getElementById("no-objects"),
    progressBar: document.getElementById("progress-bar"),
    progressText: document.getElementById("progress-text"),
    submitForm: document.getElementById("submit-form"),
    submitButton: document.getElementById("submit-button"),
    submitDialog: document.getElementById("submit-dialog"),
    submitDialogText: document.getElementById("submit-dialog-text"),
    strip: document.getElementById("strip"),
    flagNote: document.getElementById("flag-note"),
    flagNoteText: document.getElementById("flag-note-text"),
    banner: document.getElementById("readonly-banner"),
    undo: document.getElementById("undo"),
    redo: document.getElementById("redo"),
    drawKeys: document.getElementById("draw-keys"),
    editNote: document.getElementById("edit-note"),
    editNoteText: document.getElementById("edit-note-text"),
    editNoteUndo: document.getElementById("edit-note-undo"),
  };

  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  var session = window.BinaBoard && window.BinaBoard.session;
  var classes = config.classes;
  var classById = {};
  classes.forEach(function (c) { classById[c.id] = c; });

  var state = {
    image: null, // the current image's data from the server
    boxes: [], // [{uid, label_class, x, y, w, h}]
    suggestions: [], // rework (#19): the previous version's boxes, not yet accepted or deleted
    noObjects: false,
    selected: null, // uid
    activeClass: classes.length ? classes[0].id : null,
    scale: 1, tx: 0, ty: 0,
    editVersion: 0, // bumps with every local change
    savedVersion: 0, // the last editVersion the server confirmed
    inFlight: null, // the save promise, if any
    error: null, // {message, kind} of the last failed save
    readOnly: false,
    progress: config.progress,
    navigating: false,
  };
  var uidSeq = 0;
  var imageStates = {}; // image id -> state, to restyle strip items loaded later
  var textNode = document.getElementById("editor-text");
  var text = textNode ? JSON.parse(textNode.textContent) : {};
  // Undo and redo per image, kept while the page is open (next/previous do not reload it).
  // Each entry is a whole snapshot of the image's boxes and "no objects" mark: one save call restores it.
  var histories = {}; // image id -> {undo: [snapshot], redo: [snapshot], current: snapshot}
  var clipboard = []; // boxes copied with Ctrl+C, pasted with Ctrl+V on this image or another one
  var crosshair = null; // keyboard drawing: {x, y, corner: {x, y} | null}
  var drag = null; // the pointer gesture being drawn: {kind: "draw" | "move" | "resize", ...}

  // --- small helpers -------------------------------------------------------------------------------

  function toast(text, level) {
    if (window.BinaBoard && window.BinaBoard.showToast) return window.BinaBoard.showToast(text, level);
    return null;
  }
  // The last "Not saved" message: once a save lands it goes, rather than sit beside "Saved" for its seconds.
  var failedSaveToast = null;
  function dropFailedSaveToast() {
    if (failedSaveToast) failedSaveToast.remove();
    failedSaveToast = null;
  }
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }
  // Numbers written into the page take its language's digits; names stay as typed (app.js).
  var digits = window.BinaBoard.digits;
  var format = window.BinaBoard.format;
  function clamp(v, lo, hi) { return Math.min(Math.max(v, lo), hi); }
  function round2(v) { return Math.round(v * 100) / 100; }
  function isDirty() { return state.editVersion !== state.savedVersion; }
  function findBox(uid) {
    for (var i = 0; i < state.boxes.length; i++) if (state.boxes[i].uid === uid) return state.boxes[i];
    return null;
  }
  function colourOf(box) { return (classById[box.label_class] || { colour: "#888888" }).colour; }
  function withUids(boxes) {
    return boxes.map(function (b) {
      return { uid: ++uidSeq, label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h };
    });
  }

  // --- view transform: zoom and pan, shared with the review and the viewer (static/js/canvas.js) ----

  var board = window.BinaBoard.canvas.create({
    viewport: els.viewport, canvas: els.canvas, width: config.image.width, height: config.image.height,
    onChange: function (view) {
      state.scale = view.scale;
      state.tx = view.tx;
      state.ty = view.ty;
      if (state.image) renderOverlay(drag && drag.kind === "draw" ? drag.rect : null);
    },
    // A second finger on the glass pinches: the drawing the first one started is dropped.
    onGesture: function () { if (drag) { drag = null; els.viewport.classList.remove("is-dragging"); renderAll(); } },
  });
  function fit() { board.fit(); }
  function toImage(evt) { return board.toImage(evt); }

  // --- drawing the overlay -------------------------------------------------------------------------

  function renderOverlay(draft) {
    var img = state.image;
    var overlay = els.overlay;
    while (overlay.firstChild) overlay.removeChild(overlay.firstChild);
    var unit = 1 / state.scale; // one screen pixel in image pixels
    // rework (#19): suggestions, dashed; a click accepts one.
    state.suggestions.forEach(function (sug, i) {
      overlay.appendChild(svg("rect", {
        x: sug.x, y: sug.y, width: sug.w, height: sug.h, "stroke-width": 2 * unit, "stroke-dasharray": (6 * unit) + " " + (4 * unit),
        stroke: colourOf(sug), "class": "suggestion", "data-suggestion": i,
      }));
    });
    state.boxes.forEach(function (box) {
      var selected = box.uid === state.selected;
      var rect = svg("rect", {
        x: box.x, y: box.y, width: box.w, height: box.h, "stroke-width": (selected ? 3 : 2) * unit,
        stroke: colourOf(box), "class": "box" + (selected ? " is-selected" : ""), "data-uid": box.uid,
      });
      overlay.appendChild(rect);
      // A chip in the class colour with the class name, above the box (inside it at the top edge).
      var cls = classById[box.label_class];
      var name = cls ? cls.name : "?";
      var fontSize = 12 * unit;
      var chipH = fontSize * 1.45;
      var chipW = (name.length * 0.62 + 0.9) * fontSize;
      var chipY = box.y >= chipH ? box.y - chipH : box.y;
      overlay.appendChild(svg("rect", {
        x: box.x, y: chipY, width: chipW, height: chipH, fill: colourOf(box), "class": "box-chip",
      }));
      var label = svg("text", { x: box.x + 0.45 * fontSize, y: chipY + fontSize * 1.08, "font-size": fontSize, "class": "box-label" });
      label.textContent = name;
      overlay.appendChild(label);
    });
    var sel = findBox(state.selected);
    if (sel && !state.readOnly) {
      var hs = HANDLE_SCREEN * unit;
      handlesOf(sel).forEach(function (h) {
        overlay.appendChild(svg("rect", {
          x: h.x - hs / 2, y: h.y - hs / 2, width: hs, height: hs,
          "stroke-width": unit, "class": "handle handle-" + h.name, "data-handle": h.name, "data-uid": sel.uid,
        }));
      });
    }
    if (crosshair) {
      var arm = 14 * unit;
      [[crosshair.x - arm, crosshair.y, crosshair.x + arm, crosshair.y], [crosshair.x, crosshair.y - arm, crosshair.x, crosshair.y + arm]].forEach(function (l) {
        overlay.appendChild(svg("line", { x1: l[0], y1: l[1], x2: l[2], y2: l[3], "stroke-width": 2 * unit, "class": "crosshair" }));
      });
      if (crosshair.corner) {
        var cc = crosshair.corner;
        draft = { x: Math.min(cc.x, crosshair.x), y: Math.min(cc.y, crosshair.y), w: Math.abs(crosshair.x - cc.x), h: Math.abs(crosshair.y - cc.y) };
      }
    }
    if (draft) {
      overlay.appendChild(svg("rect", {
        x: draft.x, y: draft.y, width: draft.w, height: draft.h, "class": "box is-draft", "stroke-width": 2 * unit,
        stroke: classById[state.activeClass] ? classById[state.activeClass].colour : "#2454d6",
      }));
    }
    overlay.setAttribute("viewBox", "0 0 " + img.width + " " + img.height);
  }

  function handlesOf(b) {
    var cx = b.x + b.w / 2, cy = b.y + b.h / 2, r = b.x + b.w, btm = b.y + b.h;
    return [
      { name: "nw", x: b.x, y: b.y }, { name: "n", x: cx, y: b.y }, { name: "ne", x: r, y: b.y },
      { name: "e", x: r, y: cy }, { name: "se", x: r, y: btm }, { name: "s", x: cx, y: btm },
      { name: "sw", x: b.x, y: btm }, { name: "w", x: b.x, y: cy },
    ];
  }

  function renderBoxList() {
    var list = els.boxList;
    // The list is drawn afresh after every change and save: a keyboard user working in it keeps their place
    // (the same control of the same box, or of the box now in its row when it was deleted).
    var place = placeInList();
    list.textContent = "";
    state.boxes.forEach(function (box, i) {
      var li = document.createElement("li");
      li.className = "box-row" + (box.uid === state.selected ? " is-selected" : "");
      li.dataset.uid = box.uid;
      var sw = document.createElement("span");
      sw.className = "swatch";
      sw.style.background = colourOf(box);
      var pick = document.createElement("button");
      pick.type = "button";
      pick.className = "box-pick";
      pick.dataset.uid = box.uid;
      pick.setAttribute("aria-pressed", box.uid === state.selected ? "true" : "false");
      // Width × height reads left to right in every language (bdi keeps "400×250" from turning round in RTL).
      var size = document.createElement("bdi");
      size.dir = "ltr";
      size.textContent = digits(Math.round(box.w) + "×" + Math.round(box.h));
      pick.append(digits("#" + (i + 1)) + " ", size);
      var select = document.createElement("select");
      select.dataset.uid = box.uid;
      select.setAttribute("aria-label", format(text.classOfBox, { number: i + 1 }));
      select.disabled = state.readOnly;
      classes.forEach(function (c) {
        var opt = document.createElement("option");
        opt.value = c.id;
        opt.textContent = (c.key ? c.key + " · " : "") + c.name;
        if (c.id === box.label_class) opt.selected = true;
        select.appendChild(opt);
      });
      var del = document.createElement("button");
      del.type = "button";
      del.className = "btn btn-small box-delete";
      del.dataset.uid = box.uid;
      del.disabled = state.readOnly;
      del.setAttribute("aria-label", format(text.deleteBox, { number: i + 1 }));
      del.textContent = "✕";
      li.append(sw, pick, select, del);
      list.appendChild(li);
    });
    if (place) returnToPlace(place);
    els.boxEmpty.hidden = state.boxes.length > 0;
    els.boxEmpty.textContent = state.noObjects ? text.markedNoObjects : text.noBoxes;
    els.boxCount.textContent = state.boxes.length ? "(" + digits(state.boxes.length) + ")" : "";
  }

  function placeInList() {
    var active = document.activeElement;
    if (!active || !els.boxList.contains(active) || !active.dataset.uid) return null;
    var row = active.closest("li");
    return {
      uid: active.dataset.uid,
      control: active.tagName === "SELECT" ? "select" : "." + active.classList[active.classList.length - 1],
      row: Array.prototype.indexOf.call(els.boxList.children, row),
    };
  }
  function returnToPlace(place) {
    var list = els.boxList;
    var same = list.querySelector(place.control + '[data-uid="' + place.uid + '"]');
    var row = list.children[Math.min(place.row, list.children.length - 1)];
    var target = same || (row && row.querySelector(place.control)) || els.viewport;
    target.focus({ preventScroll: true });
  }

  function renderClassPicker() {
    document.querySelectorAll(".class-btn").forEach(function (btn) {
      btn.setAttribute("aria-checked", Number(btn.dataset.classId) === state.activeClass ? "true" : "false");
    });
  }

  var STATE_LABELS = { "new": text.stateNew, annotated: text.stateAnnotated, no_objects: text.stateNoObjects };

  function renderStatus() {
    // The badge says what the server stored, as the image list does: a box that failed to save does not
    // make the image "Annotated" (the save status beside it says what is waiting).
    var st = state.image.state;
    els.state.textContent = STATE_LABELS[st];
    els.state.className = "state-badge state-" + st;
    els.noObjects.setAttribute("aria-pressed", state.noObjects ? "true" : "false");
    els.noObjects.disabled = state.readOnly || state.boxes.length > 0;
    els.noObjects.title = state.boxes.length
      ? text.hasBoxes
      : text.markNoObjects;
    els.viewport.classList.toggle("is-readonly", state.readOnly);
  }

  function renderAll() {
    renderOverlay();
    renderBoxList();
    renderSuggestions(); // rework (#19)
    renderStatus();
    renderClassPicker();
  }

  function renderProgress() {
    var p = state.progress;
    els.progressBar.max = p.total;
    els.progressBar.value = p.done;
    els.progressText.innerHTML = "";
    var strong = document.createElement("strong");
    strong.textContent = digits(p.done);
    // "%(done)s / %(total)s done" in the person's language, with the done count in bold.
    var parts = String(text.progress).split("%(done)s");
    els.progressText.append(format(parts[0], p), strong, format(parts[1] || "", { total: p.total }));
    els.submitButton.classList.toggle("btn-primary", p.done >= p.total);
  }

  function setSaveStatus(kind, text) {
    els.saveStatus.className = "save-status save-" + kind;
    els.saveStatus.textContent = text;
    els.retry.hidden = kind !== "error" || state.readOnly;
    els.discard.hidden = kind !== "error";
    if (kind === "saved") dropFailedSaveToast();
  }

  // --- the image strip -----------------------------------------------------------------------------

  function markStrip() {
    if (!els.strip) return;
    els.strip.querySelectorAll(".strip-item").forEach(function (li) {
      var id = Number(li.dataset.imageId);
      var a = li.querySelector("a");
      if (state.image && id === state.image.id) a.setAttribute("aria-current", "true");
      else a.removeAttribute("aria-current");
      var st = imageStates[id];
      if (st) {
        li.classList.remove("state-new", "state-annotated", "state-no_objects");
        li.classList.add("state-" + st);
        var label = li.querySelector(".strip-state");
        if (label) label.textContent = st === "annotated" ? text.stripAnnotated : st === "no_objects" ? text.stripNoObjects : text.stripNotDone;
      }
    });
  }
  function scrollStripToCurrent() {
    var current = els.strip && els.strip.querySelector("a[aria-current=true]");
    window.BinaBoard.canvas.revealInList(els.strip, current);
  }

  // --- saving --------------------------------------------------------------------------------------

  // --- rework (#19): suggestions of a relabelled batch ----------------------------------------------
  function renderSuggestions() {
    if (!els.suggestions) return;
    els.suggestions.hidden = !state.suggestions.length || state.readOnly;
    els.suggestionCount.textContent = state.suggestions.length ? "(" + digits(state.suggestions.length) + ")" : "";
  }
  function acceptSuggestions(indexes) {
    if (state.readOnly || !state.suggestions.length) return false;
    var taken = state.suggestions.filter(function (_, i) { return indexes === null || indexes.indexOf(i) >= 0; });
    state.suggestions = state.suggestions.filter(function (_, i) { return !(indexes === null || indexes.indexOf(i) >= 0); });
    state.boxes = state.boxes.concat(withUids(taken));
    state.noObjects = false;
    if (taken.length === 1) state.selected = state.boxes[state.boxes.length - 1].uid;
    changed();
    return true;
  }
  function dismissSuggestions() {
    if (state.readOnly || !state.suggestions.length) return false;
    state.suggestions = [];
    changed();
    return true;
  }
  // --- end rework

  // `run` names an edit that repeats (the arrows nudging one box): a run of it is one undo step.
  function changed(run) {
    remember(run);
    state.editVersion++;
    state.error = null;
    keepDraft();
    renderAll();
    save();
  }

  function readJson(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      // A CSRF refusal (the token changed when the person signed in again) or a login page.
      if (response.status === 403 || response.redirected) return Promise.resolve({ error: signedOutText(), kind: "signed_out" });
      var message = format(text.serverAnswered, { status: digits(response.status) + " " + response.statusText });
      return Promise.resolve({ error: message, kind: "http" });
    }
    return response.json();
  }

  function signedOutText() { return session ? session.text("signedOut") : ""; }

  // --- unsaved changes kept in this tab until the server has them ---------------------------------

  function draftKey(image) { return "binaboard:unsaved:" + image.save_url; }
  function keepDraft() {
    try {
      window.sessionStorage.setItem(draftKey(state.image), JSON.stringify({ boxes: state.boxes, no_objects: state.noObjects }));
    } catch (e) { /* storage full or off: the change is still on screen */ }
  }
  function dropDraft(image) {
    try { window.sessionStorage.removeItem(draftKey(image)); } catch (e) { /* nothing kept */ }
  }
  function readDraft(image) {
    try { return JSON.parse(window.sessionStorage.getItem(draftKey(image)) || "null"); } catch (e) { return null; }
  }

  // Sends the current box list; resolves true when everything on screen is stored.
  function save() {
    if (state.readOnly) return Promise.resolve(false);
    if (state.inFlight) {
      // One request at a time; the newest list goes once this one is answered.
      return state.inFlight.then(function () { return isDirty() && !state.error ? save() : !isDirty(); });
    }
    if (!isDirty()) return Promise.resolve(true);
    var image = state.image;
    var sent = state.editVersion;
    var body = JSON.stringify({
      boxes: state.boxes.map(function (b) {
        return { label_class: b.label_class, x: round2(b.x), y: round2(b.y), w: round2(b.w), h: round2(b.h) };
      }),
      no_objects: state.noObjects,
      // rework (#19): the previous boxes still open on this image (only for an image that had some)
      suggestions: (image.suggestions && image.suggestions.length) ? state.suggestions.map(function (b) {
        return { label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h };
      }) : undefined,
    });
    setSaveStatus("saving", text.saving);
    state.inFlight = fetch(withVersion(image.save_url), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: body,
    })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok || data.error) throw { message: data.error || text.saveFailed, kind: data.kind };
          return data;
        });
      })
      .then(function (data) {
        state.inFlight = null;
        imageStates[data.image.id] = data.image.state;
        state.progress = data.progress;
        renderProgress();
        markStrip();
        if (state.image.id !== image.id) return true;
        image.state = data.image.state;
        renderStatus();
        if (state.editVersion === sent) {
          // Nothing changed meanwhile: show exactly what the server stored.
          var uids = state.boxes.map(function (b) { return b.uid; });
          state.boxes = data.image.boxes.map(function (b, i) {
            return { uid: uids[i] || ++uidSeq, label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h };
          });
          state.savedVersion = sent;
          dropDraft(image);
          renderAll();
          setSaveStatus("saved", text.saved);
          return true;
        }
        return save();
      })
      .catch(function (err) {
        state.inFlight = null;
        var message = err && err.message ? err.message : text.unreachable;
        if (err instanceof TypeError) message = text.offline;
        state.error = { message: message, kind: err && err.kind };
        if (err && (err.kind === "refused" || err.kind === "stale" || err.kind === "forbidden" || err.kind === "not_found")) {
          enterReadOnly(message);
        }
        if (err && err.kind === "signed_out") {
          if (session) session.showSignedOut();
          setSaveStatus("error", message);
          return false;
        }
        setSaveStatus("error", format(text.notSaved, { reason: message }));
        failedSaveToast = toast(format(text.notSaved, { reason: message }), "error");
        return false;
      });
    return state.inFlight;
  }

  // A refused save: the batch changed under this workspace (reset, reassigned, moved on). The edits stay on
  // screen, the banner says who did what and when, and offers the way forward: back to the board, or, once
  // the batch is this person's to annotate again, "Copy my edits" onto the image as it is now.
  var watch = null; // the timer that asks whether the batch is theirs again

  function enterReadOnly(message) {
    state.readOnly = true;
    state.selected = null;
    crosshair = null;
    if (state.image) renderUndoButtons();
    els.banner.hidden = false;
    els.banner.textContent = "";
    var words = document.createElement("span");
    words.textContent = message + " " + text.notStored;
    var hint = document.createElement("span");
    hint.id = "readonly-hint";
    hint.textContent = text.waitTheirs;
    var actions = document.createElement("span");
    actions.className = "banner-actions";
    var board = document.querySelector(".breadcrumb a");
    if (board) {
      var link = document.createElement("a");
      link.href = board.href;
      link.className = "btn btn-small";
      link.textContent = text.backToBoard;
      actions.append(link);
    }
    var copyButton = document.createElement("button");
    copyButton.type = "button";
    copyButton.id = "copy-edits";
    copyButton.className = "btn btn-small btn-primary";
    copyButton.textContent = text.copyEdits;
    copyButton.hidden = true;
    copyButton.addEventListener("click", copyEdits);
    actions.append(" ", copyButton);
    els.banner.append(words, " ", hint, " ", actions);
    renderAll();
    if (!watch) {
      watch = window.setInterval(checkTheirs, 15000);
      window.addEventListener("focus", checkTheirs);
    }
    checkTheirs();
  }

  function stopWatching() {
    window.clearInterval(watch);
    watch = null;
    window.removeEventListener("focus", checkTheirs);
  }

  // The image as stored now, asked without the version this page loaded: it answers only when the batch is
  // in Annotating and this person may annotate it.
  function fetchCurrent() {
    return fetch(state.image.data_url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok || data.error || data.batch_status !== "annotating") {
            throw { message: data.error || text.notTheirs };
          }
          return data;
        });
      });
  }

  function checkTheirs() {
    if (!state.readOnly || !isDirty()) return;
    fetchCurrent().then(function () {
      var hint = document.getElementById("readonly-hint");
      var copyButton = document.getElementById("copy-edits");
      if (!hint || !copyButton || !state.readOnly) return;
      hint.textContent = text.yoursAgain;
      copyButton.hidden = false;
    }).catch(function () { /* not theirs (yet): keep waiting */ });
  }

  // Re-applies the boxes on screen onto the image as it is now, through the normal save with the batch's
  // current version; one undo step takes the copy back.
  function copyEdits() {
    var mine = { boxes: state.boxes, noObjects: state.noObjects };
    fetchCurrent().then(function (data) {
      document.querySelectorAll("input[name=version]").forEach(function (input) { input.value = data.batch_version; });
      stopWatching();
      dropDraft(state.image);
      state.readOnly = false;
      els.banner.hidden = true;
      showImage(data.image, true);
      state.boxes = withUids(mine.boxes);
      state.noObjects = mine.noObjects;
      changed();
      toast(text.editsCopied, "success");
    }).catch(function (err) {
      toast(err && err.message ? err.message : text.notTheirs, "error");
    });
  }

  // --- loading an image ----------------------------------------------------------------------------

  function showImage(data, keepView) {
    state.image = data;
    state.boxes = withUids(data.boxes);
    state.suggestions = (data.suggestions || []).slice(); // rework (#19)
    state.noObjects = data.state === "no_objects";
    state.selected = null;
    crosshair = null;
    openHistory(data.id);
    state.editVersion = state.savedVersion = 0;
    state.error = null;
    imageStates[data.id] = data.state;
    board.setSize(data.width, data.height);
    if (els.photo.getAttribute("src") !== data.file_url) {
      els.photo.removeAttribute("src");
      els.photo.width = data.width;
      els.photo.height = data.height;
      els.photo.src = data.file_url;
    }
    els.viewport.setAttribute("aria-label", format(text.viewportLabel, { name: data.name }));
    els.position.textContent = format(text.position, data);
    els.name.textContent = data.name;
    setLink(els.prev, data.prev);
    setLink(els.next, data.next);
    els.flagNote.hidden = !data.flagged;
    els.flagNoteText.textContent = data.note || text.noNote;
    setSaveStatus("idle", "");
    var draft = readDraft(data);
    if (draft && Array.isArray(draft.boxes)) {
      // A change the server never confirmed (signed out, offline, the tab reloaded): show it and save it.
      state.boxes = withUids(draft.boxes);
      state.noObjects = !!draft.no_objects;
      state.editVersion = 1;
      toast(config.text.restored, "info");
    }
    if (!keepView) fit();
    renderAll();
    markStrip();
    scrollStripToCurrent();
    if (data.next) new Image().src = data.next.file_url; // preload the next image
    // The address names the image, so a reload or a shared link opens it again.
    if (window.location.pathname + window.location.search !== data.page_url) history.replaceState(null, "", data.page_url);
    if (draft) save();
  }

  function setLink(a, target) {
    if (target) {
      a.href = state.image.page_url.split("?")[0] + "?image=" + target.id;
      a.removeAttribute("aria-disabled");
    } else {
      a.removeAttribute("href");
      a.setAttribute("aria-disabled", "true");
    }
  }

  function loadImage(target) {
    return fetch(withVersion(target.data_url), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return readJson(response).then(function (data) {
          if (!response.ok || data.error) throw { message: data.error || text.loadFailed };
          return data;
        });
      });
  }

  function navigate(target) {
    if (!target || state.navigating) return;
    state.navigating = true;
    // Another image loads while the change here is still being saved, so a slow save costs one wait, not two;
    // it shows only once the save is through. (The image on screen itself is asked for after its save.)
    var early = target.id !== state.image.id ? loadImage(target) : null;
    if (early) early.catch(function () { /* said below, if the save went through */ });
    var ready = state.readOnly ? Promise.resolve(true) : save();
    ready
      .then(function (ok) {
        if (!ok && !state.readOnly) {
          toast(text.saveBeforeMoving, "error");
          return null;
        }
        setSaveStatus("loading", text.loading);
        return (early || loadImage(target)).then(function (data) { showImage(data.image); });
      })
      .catch(function (err) {
        var message = err && err.message ? err.message : text.unreachable;
        setSaveStatus("idle", "");
        toast(message, "error");
      })
      .then(function () { state.navigating = false; });
  }

  // --- undo and redo -------------------------------------------------------------------------------

  function snapshot() {
    return {
      boxes: state.boxes.map(function (b) { return { uid: b.uid, label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h }; }),
      noObjects: state.noObjects,
    };
  }
  function imageHistory() { return histories[state.image.id]; }
  function openHistory(imageId) {
    var h = histories[imageId] || (histories[imageId] = { undo: [], redo: [] });
    h.run = null;
    h.current = snapshot();
    renderUndoButtons();
  }
  // Called by changed(), after an edit and before it is saved: the state before it becomes one undo step.
  function remember(run) {
    var h = imageHistory();
    var now = Date.now();
    // Holding an arrow nudges a box dozens of times: Ctrl+Z takes the whole run back, not one pixel of it.
    var sameRun = run && h.run === run && now - h.runAt < 1000 && h.undo.length;
    if (!sameRun) h.undo.push(h.current);
    if (h.undo.length > 200) h.undo.shift();
    h.run = run || null;
    h.runAt = now;
    h.redo = [];
    h.current = snapshot();
    renderUndoButtons();
  }
  function restore(from, to) {
    if (state.readOnly || !from.length) return false;
    var h = imageHistory();
    h.run = null; // the next nudge after an undo or redo is a step of its own
    to.push(h.current);
    var snap = from.pop();
    h.current = snap;
    state.boxes = snap.boxes.map(function (b) { return { uid: b.uid, label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h }; });
    state.noObjects = snap.noObjects;
    if (!findBox(state.selected)) state.selected = null;
    hideEditNote();
    state.editVersion++;
    state.error = null;
    renderAll();
    renderUndoButtons();
    save();
    return true;
  }
  function undo() { return restore(imageHistory().undo, imageHistory().redo); }
  function redo() { return restore(imageHistory().redo, imageHistory().undo); }
  function renderUndoButtons() {
    var h = state.image && histories[state.image.id];
    els.undo.disabled = state.readOnly || !h || !h.undo.length;
    els.redo.disabled = state.readOnly || !h || !h.redo.length;
  }

  // A class key with a box explicitly selected relabels that box: say so, with a way back.
  function showEditNote(message) {
    els.editNoteText.textContent = message;
    els.editNote.hidden = false;
    window.clearTimeout(showEditNote.timer);
    showEditNote.timer = window.setTimeout(hideEditNote, 6000);
  }
  function hideEditNote() { els.editNote.hidden = true; }

  // --- copy, paste, nudge --------------------------------------------------------------------------

  function copyBoxes() {
    var sel = findBox(state.selected);
    var chosen = sel ? [sel] : state.boxes;
    if (!chosen.length) return false;
    clipboard = chosen.map(function (b) { return { label_class: b.label_class, x: b.x, y: b.y, w: b.w, h: b.h }; });
    toast(format(text.copied, { count: clipboard.length }), "info");
    return true;
  }
  function pasteBoxes() {
    if (state.readOnly || !clipboard.length) return false;
    var added = clipboard.map(function (c) {
      var b = { uid: ++uidSeq, label_class: c.label_class, x: c.x, y: c.y, w: c.w, h: c.h };
      // Pasted onto the box it was copied from, it would hide: shift it a little.
      var same = state.boxes.some(function (o) { return o.x === b.x && o.y === b.y && o.w === b.w && o.h === b.h; });
      if (same) { b.x += 10; b.y += 10; }
      fitInside(b);
      return b;
    });
    state.boxes = state.boxes.concat(added);
    state.noObjects = false;
    state.selected = added.length === 1 ? added[0].uid : null;
    changed();
    return true;
  }
  function nudge(dx, dy) {
    var b = findBox(state.selected);
    if (!b || state.readOnly) return false;
    var x = clamp(b.x + dx, 0, state.image.width - b.w), y = clamp(b.y + dy, 0, state.image.height - b.h);
    if (x === b.x && y === b.y) return true;
    b.x = x;
    b.y = y;
    changed("nudge " + b.uid);
    return true;
  }
  // The batch version this page loaded: a refused save then says who changed the batch, how and when.
  function withVersion(url) {
    var input = els.submitForm && els.submitForm.querySelector("input[name=version]");
    return input ? url + (url.indexOf("?") === -1 ? "?" : "&") + "version=" + encodeURIComponent(input.value) : url;
  }
  // --- drawing from the keyboard: a crosshair moved by the arrow keys, Enter sets each corner ------

  function startCrosshair() {
    if (state.readOnly || !state.activeClass) return;
    var img = state.image;
    crosshair = { x: Math.round(img.width / 2), y: Math.round(img.height / 2), corner: null };
    state.selected = null;
    els.viewport.focus({ preventScroll: true });
    renderAll();
    announce(text.crosshairOn);
  }
  function moveCrosshair(dx, dy) {
    crosshair.x = clamp(crosshair.x + dx, 0, state.image.width);
    crosshair.y = clamp(crosshair.y + dy, 0, state.image.height);
    renderOverlay();
  }
  function setCorner() {
    if (!crosshair.corner) {
      crosshair.corner = { x: crosshair.x, y: crosshair.y };
      renderOverlay();
      announce(text.cornerSet);
      return;
    }
    var c = crosshair.corner;
    var r = { x: Math.min(c.x, crosshair.x), y: Math.min(c.y, crosshair.y), w: Math.abs(crosshair.x - c.x), h: Math.abs(crosshair.y - c.y) };
    crosshair = null;
    if (r.w < 1 || r.h < 1) { renderAll(); announce(text.noArea); return; }
    addBox(r);
  }
  function announce(message) { if (message) setSaveStatus("idle", message); }
  // Esc ends keyboard drawing: its instructions go too (a save's status, an error with Retry, stays).
  function endAnnouncement() {
    var shown = els.saveStatus.textContent;
    if (shown === text.crosshairOn || shown === text.cornerSet || shown === text.noArea) setSaveStatus("idle", "");
  }

  function addBox(r) {
    var box = { uid: ++uidSeq, label_class: state.activeClass, x: r.x, y: r.y, w: Math.max(r.w, 1), h: Math.max(r.h, 1) };
    fitInside(box);
    state.boxes.push(box);
    // The new box is not selected: the next class key chooses the class of the NEXT box, never this one.
    state.selected = null;
    state.noObjects = false;
    changed();
  }

  // --- pointer interactions ------------------------------------------------------------------------

  // rework (#19)
  if (els.suggestions) {
    document.getElementById("suggestions-accept").addEventListener("click", function () { acceptSuggestions(null); });
    document.getElementById("suggestions-dismiss").addEventListener("click", function () { dismissSuggestions(); });
  }

  els.viewport.addEventListener("pointerdown", function (evt) {
    if (!state.image) return;
    els.viewport.focus({ preventScroll: true });
    // Pans (Space, the middle button) and pinches belong to the shared canvas.
    if (board.busy() || evt.button !== 0 || drag) return;
    evt.preventDefault();
    var p = toImage(evt);
    var target = evt.target;
    if (state.readOnly) {
      return;
    } else if (target.dataset && target.dataset.suggestion !== undefined) {
      acceptSuggestions([Number(target.dataset.suggestion)]); // rework (#19)
      return;
    } else if (target.dataset && target.dataset.handle) {
      var hb = findBox(Number(target.dataset.uid));
      drag = { kind: "resize", handle: target.dataset.handle, uid: hb.uid, orig: copy(hb), start: p, moved: false };
    } else if (!evt.shiftKey && state.selected && covers(findBox(state.selected), p)) {
      // Only the box already selected moves with its body, also where a box drawn later lies over it;
      // any other drag draws (nested objects are the norm).
      var box = findBox(state.selected);
      drag = { kind: "move", uid: box.uid, orig: copy(box), start: p, moved: false };
    } else {
      // A click without a drag selects the box under the pointer (see endDrag): the smallest one there, so a
      // plate drawn before the car around it can still be picked, although the car lies on top.
      var under = smallestAt(p);
      drag = { kind: "draw", start: clampPoint(p), rect: null, under: under ? under.uid : null };
    }
    crosshair = null;
    els.viewport.setPointerCapture(evt.pointerId);
    els.viewport.classList.add("is-dragging");
  });

  els.viewport.addEventListener("pointermove", function (evt) {
    if (!drag || board.busy()) return;
    var p = toImage(evt);
    var img = state.image;
    if (drag.kind === "draw") {
      var q = clampPoint(p);
      drag.rect = {
        x: Math.min(drag.start.x, q.x), y: Math.min(drag.start.y, q.y),
        w: Math.abs(q.x - drag.start.x), h: Math.abs(q.y - drag.start.y),
      };
      renderOverlay(drag.rect);
    } else if (drag.kind === "move") {
      var b = findBox(drag.uid);
      b.x = clamp(drag.orig.x + p.x - drag.start.x, 0, img.width - b.w);
      b.y = clamp(drag.orig.y + p.y - drag.start.y, 0, img.height - b.h);
      drag.moved = drag.moved || b.x !== drag.orig.x || b.y !== drag.orig.y;
      renderOverlay();
    } else if (drag.kind === "resize") {
      resize(findBox(drag.uid), drag, clampPoint(p));
      drag.moved = true;
      renderOverlay();
    }
  });

  function endDrag(evt) {
    if (!drag) return;
    var d = drag;
    drag = null;
    els.viewport.classList.remove("is-dragging");
    if (els.viewport.hasPointerCapture && els.viewport.hasPointerCapture(evt.pointerId)) {
      els.viewport.releasePointerCapture(evt.pointerId);
    }
    if (d.kind === "draw") {
      var r = d.rect;
      if (r && r.w * state.scale >= MIN_DRAW_SCREEN && r.h * state.scale >= MIN_DRAW_SCREEN) {
        if (!state.activeClass) {
          toast(text.noClasses, "error");
          renderAll();
          return;
        }
        addBox(r);
      } else {
        state.selected = d.under;
        renderAll();
      }
    } else if ((d.kind === "move" || d.kind === "resize") && d.moved) {
      changed();
    } else {
      renderAll();
    }
  }
  els.viewport.addEventListener("pointerup", endDrag);
  els.viewport.addEventListener("pointercancel", endDrag);


  function copy(b) { return { x: b.x, y: b.y, w: b.w, h: b.h }; }
  // Whether image point p is on box b, its outline included (a few screen pixels either side of it).
  function covers(b, p) {
    var t = 3 / state.scale;
    return !!b && p.x >= b.x - t && p.x <= b.x + b.w + t && p.y >= b.y - t && p.y <= b.y + b.h + t;
  }
  function smallestAt(p) {
    var found = null;
    state.boxes.forEach(function (b) {
      if (covers(b, p) && (!found || b.w * b.h < found.w * found.h)) found = b;
    });
    return found;
  }
  function clampPoint(p) {
    return { x: clamp(p.x, 0, state.image.width), y: clamp(p.y, 0, state.image.height) };
  }
  function fitInside(b) {
    var img = state.image;
    b.w = Math.min(b.w, img.width);
    b.h = Math.min(b.h, img.height);
    b.x = clamp(b.x, 0, img.width - b.w);
    b.y = clamp(b.y, 0, img.height - b.h);
  }
  function resize(b, d, p) {
    var o = d.orig, left = o.x, top = o.y, right = o.x + o.w, bottom = o.y + o.h;
    if (d.handle.indexOf("w") !== -1) left = p.x;
    if (d.handle.indexOf("e") !== -1) right = p.x;
    if (d.handle.indexOf("n") !== -1) top = p.y;
    if (d.handle.indexOf("s") !== -1) bottom = p.y;
    b.x = Math.min(left, right);
    b.y = Math.min(top, bottom);
    b.w = Math.max(Math.abs(right - left), 1);
    b.h = Math.max(Math.abs(bottom - top), 1);
    fitInside(b);
  }

  // --- keyboard ------------------------------------------------------------------------------------

  function typing(evt) {
    var t = evt.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  // Shortcuts match the key's place (event.code), not its letter, so they work on any layout (Persian too).
  var CLASS_CODE = /^(?:Digit|Numpad)([1-9])$/;

  document.addEventListener("keydown", function (evt) {
    var code = evt.code;
    if (els.submitDialog && els.submitDialog.open) return;
    // Ctrl+S saves now (and tries again after a failure), as in CVAT, never the browser's "Save page as".
    if ((evt.ctrlKey || evt.metaKey) && code === "KeyS" && !evt.shiftKey && !evt.altKey) {
      saveNow();
      evt.preventDefault();
      return;
    }
    // Esc in a field of the workspace (a box's class list) gives the keys back to the image.
    if (code === "Escape" && typing(evt) && root.contains(evt.target)) {
      els.viewport.focus({ preventScroll: true });
      evt.preventDefault();
      return;
    }
    if (code === "Space" || typing(evt) || evt.altKey) return;
    if (evt.key === "?" || evt.key === "؟" || (code === "Slash" && evt.shiftKey)) {
      toggleHelp();
      evt.preventDefault();
      return;
    }
    if (evt.ctrlKey || evt.metaKey) {
      var done = false;
      if (code === "KeyZ" && !evt.shiftKey) done = undo();
      else if ((code === "KeyZ" && evt.shiftKey) || code === "KeyY") done = redo();
      else if (code === "KeyC" && !window.getSelection().toString()) done = copyBoxes();
      else if (code === "KeyV") done = pasteBoxes();
      if (done || code === "KeyZ" || code === "KeyY") evt.preventDefault();
      return;
    }
    var step = evt.shiftKey ? 10 : 1;
    var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (crosshair) {
      if (arrows[code]) {
        // The crosshair moves a few screen pixels per press (ten times more with Shift).
        var px = Math.max(1, Math.round(4 / state.scale)) * step;
        moveCrosshair(arrows[code][0] * px, arrows[code][1] * px);
        evt.preventDefault();
        return;
      }
      if (code === "Enter" || code === "NumpadEnter") { setCorner(); evt.preventDefault(); return; }
      if (code === "Escape") { crosshair = null; renderAll(); endAnnouncement(); evt.preventDefault(); return; }
    }
    var digit = CLASS_CODE.exec(code);
    var towards = window.BinaBoard.imageStep(code); // "next", "prev" or null
    if (digit) {
      var cls = classes.filter(function (c) { return c.key === Number(digit[1]); })[0];
      if (!cls) return;
      pickClass(cls.id);
      evt.preventDefault();
    } else if (code === "Delete" || code === "Backspace") {
      if (state.selected && !state.readOnly) { deleteBox(state.selected); evt.preventDefault(); }
    } else if (code === "Escape" && helpFocused()) {
      toggleHelp(); // closes the key list the focus is in
      evt.preventDefault();
    } else if (code === "Escape") {
      if (drag && drag.kind === "draw") { drag = null; els.viewport.classList.remove("is-dragging"); }
      state.selected = null;
      renderAll();
    } else if (arrows[code] && state.selected) {
      // With a box selected, the arrows nudge it (Shift: 10 px) the way they point on the image, whatever
      // the page's direction; otherwise left and right change the image (BinaBoard.imageStep).
      if (nudge(arrows[code][0] * step, arrows[code][1] * step)) evt.preventDefault();
    } else if (code === "KeyA" && evt.shiftKey) {
      if (acceptSuggestions(null)) evt.preventDefault(); // rework (#19): accept every suggestion
    } else if (towards) {
      var target = towards === "next" ? state.image.next : state.image.prev;
      // At either end the key says so, rather than nothing at all (the last image also says how far the batch is).
      if (target) navigate(target);
      else toast(towards === "next" ? format(text.lastImage, state.progress) : text.firstImage, "info");
      evt.preventDefault();
    } else if (code === "KeyN") {
      toggleNoObjects();
    } else if (code === "KeyB") {
      startCrosshair(); evt.preventDefault();
    } else if (code === "KeyF") {
      fit();
    } else {
      board.handleKey(evt); // H, L, 0, + and − (1 is a class key here; 1:1 is a button)
    }
  });

  function saveNow() {
    if (state.readOnly) return;
    if (state.error) { retry(); return; }
    save().then(function (ok) { if (ok && !isDirty()) setSaveStatus("saved", text.saved); });
  }

  function helpFocused() {
    var help = document.querySelector("details.help");
    return !!help && help.open && help.contains(document.activeElement);
  }
  // ? opens the list of keys (and scrolls it into view); ? again, Esc, or its summary, closes it.
  function toggleHelp() {
    var help = document.querySelector("details.help");
    if (!help) return;
    help.open = !help.open;
    if (help.open) {
      help.scrollIntoView({ block: "nearest" });
      help.querySelector("summary").focus({ preventScroll: true });
    } else {
      els.viewport.focus({ preventScroll: true });
    }
  }

  function pickClass(id) {
    state.activeClass = id;
    var box = findBox(state.selected);
    if (box && !state.readOnly && box.label_class !== id) {
      box.label_class = id;
      changed();
      showEditNote(format(text.relabelled, { number: state.boxes.indexOf(box) + 1, name: classById[id].name }));
    } else {
      renderAll();
    }
  }

  function deleteBox(uid) {
    state.boxes = state.boxes.filter(function (b) { return b.uid !== uid; });
    if (state.selected === uid) state.selected = null;
    changed();
  }

  function toggleNoObjects() {
    if (state.readOnly) return;
    if (state.boxes.length) {
      toast(text.deleteBoxesFirst, "warning");
      return;
    }
    state.noObjects = !state.noObjects;
    changed();
  }

  // --- buttons and lists ---------------------------------------------------------------------------

  els.undo.addEventListener("click", undo);
  els.redo.addEventListener("click", redo);
  els.editNoteUndo.addEventListener("click", function () { undo(); els.viewport.focus({ preventScroll: true }); });
  els.drawKeys.addEventListener("click", startCrosshair);

  document.querySelectorAll(".class-btn").forEach(function (btn) {
    btn.addEventListener("click", function () { pickClass(Number(btn.dataset.classId)); });
  });
  els.noObjects.addEventListener("click", toggleNoObjects);
  function retry() {
    var signedOut = state.error && state.error.kind === "signed_out";
    state.error = null;
    if (!signedOut || !session) return save();
    return session.check().then(function (answer) {
      if (!answer.authenticated) {
        state.error = { message: signedOutText(), kind: "signed_out" };
        session.showSignedOut();
        setSaveStatus("error", signedOutText());
        return false;
      }
      csrf = answer.csrfToken;
      return save();
    }).catch(function () { return save(); });
  }
  els.retry.addEventListener("click", retry);
  if (session) {
    // Back in this tab after signing in again: the change that waited is saved at once.
    session.onSignedIn(function (token) {
      csrf = token;
      if (state.error && state.error.kind === "signed_out") { state.error = null; save(); }
    });
  }
  els.discard.addEventListener("click", function () {
    if (!window.confirm(text.discardConfirm)) return;
    var target = { id: state.image.id, data_url: state.image.data_url };
    state.savedVersion = state.editVersion; // the user chose to drop it
    dropDraft(state.image);
    state.readOnly = false;
    els.banner.hidden = true;
    stopWatching();
    state.navigating = false;
    navigate(target);
  });
  [els.prev, els.next].forEach(function (a) {
    a.addEventListener("click", function (evt) {
      evt.preventDefault();
      navigate(a === els.prev ? state.image.prev : state.image.next);
    });
  });

  els.boxList.addEventListener("click", function (evt) {
    var t = evt.target;
    if (t.classList.contains("box-delete")) {
      deleteBox(Number(t.dataset.uid));
    } else if (t.classList.contains("box-pick")) {
      state.selected = state.selected === Number(t.dataset.uid) ? null : Number(t.dataset.uid);
      renderAll();
      var again = els.boxList.querySelector('.box-pick[data-uid="' + t.dataset.uid + '"]');
      if (again) again.focus();
    }
  });
  els.boxList.addEventListener("change", function (evt) {
    var t = evt.target;
    if (t.tagName !== "SELECT") return;
    var box = findBox(Number(t.dataset.uid));
    if (!box) return;
    box.label_class = Number(t.value);
    state.activeClass = box.label_class;
    state.selected = box.uid;
    changed();
  });

  if (els.strip) {
    els.strip.addEventListener("click", function (evt) {
      var a = evt.target.closest(".strip-item a");
      if (!a || evt.ctrlKey || evt.metaKey || evt.shiftKey || evt.button !== 0) return;
      evt.preventDefault();
      var li = a.closest(".strip-item");
      var id = Number(li.dataset.imageId);
      var base = state.image.data_url.replace(/\/images\/\d+\/$/, "/images/" + id + "/");
      navigate({ id: id, data_url: base });
    });
    document.body.addEventListener("htmx:afterSwap", function () { markStrip(); });
  }

  // Submit: save first; with images not done, ask and say how many.
  els.submitForm.addEventListener("submit", function (evt) {
    evt.preventDefault();
    save().then(function (ok) {
      if (!ok && !state.readOnly) {
        toast(text.saveBeforeSubmit, "error");
        return;
      }
      var undone = state.progress.total - state.progress.done;
      if (undone > 0 && els.submitDialog && els.submitDialog.showModal) {
        var sentence = undone === 1 ? text.submitUndone.one : text.submitUndone.other;
        els.submitDialogText.textContent = format(sentence, { undone: undone, total: state.progress.total });
        els.submitDialog.showModal();
        return;
      }
      els.submitForm.submit();
    });
  });
  if (els.submitDialog) {
    document.getElementById("submit-dialog-cancel").addEventListener("click", function () {
      els.submitDialog.close();
      els.submitButton.focus();
    });
  }

  window.addEventListener("beforeunload", function (evt) {
    if (isDirty() && !state.readOnly) {
      evt.preventDefault();
      evt.returnValue = "";
    }
  });

  // Start.
  showImage(config.image);
  renderProgress();
  els.photo.addEventListener("error", function () {
    if (els.photo.getAttribute("src")) toast(format(text.fileFailed, { name: state.image.name }), "error");
  });
  window.BinaBoard = window.BinaBoard || {};
  window.BinaBoard.annotate = { state: state, save: save }; // for tests and debugging in the console
})();
