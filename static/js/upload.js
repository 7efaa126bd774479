// Upload: sends the form with XMLHttpRequest so a progress bar can follow the bytes, then swaps in
// the server's kept/refused report. Without JavaScript the same form posts as plain multipart.
// Also opens the upload form in a modal dialog from any [data-upload-link] (the project menu, the board).
(function () {
  "use strict";
  if (window.BinaBoardUpload) return; // loaded again by a swapped-in form
  window.BinaBoardUpload = { busy: false };
  var script = document.currentScript;
  var stylesheet = (script && script.getAttribute("data-stylesheet")) || ""; // the dialog's styles, loaded on first use

  // The words, translated by the server (batches/templatetags/upload_text.py) on this script's tag.
  var TEXT = {};
  try { TEXT = JSON.parse((script && script.getAttribute("data-text")) || "{}"); } catch (e) { TEXT = {}; }

  // Numbers in `vars` take the page language's digits (app.js); names (files, folders, batches) stay as typed.
  function t(key, vars) {
    var text = TEXT[key];
    vars = vars || {};
    if (text && typeof text === "object") text = vars.n === 1 ? text.one : text.other;
    if (typeof text !== "string") return key;
    return window.BinaBoard.format(text, vars).replace(/%%/g, "%");
  }

  function humanBytes(n) {
    var units = TEXT.units || ["bytes", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return window.BinaBoard.digits(i === 0 ? String(n) : n.toFixed(1).replace(/\.0$/, "")) + " " + units[i];
  }

  function chosenFiles(form) {
    var files = (form._dropped || []).slice();
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { files.push(file); });
    });
    return files;
  }

  // --- the drop zone: files and folders (webkitGetAsEntry walks dropped folders) -------------------

  function readEntry(entry, prefix) {
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) {
          try { file.relativePath = prefix + file.name; } catch (e) { /* read-only: the name alone */ }
          resolve([file]);
        }, function () { resolve([]); });
      });
    }
    if (!entry.isDirectory) return Promise.resolve([]);
    var reader = entry.createReader();
    var all = [];
    return new Promise(function (resolve) {
      // readEntries answers in batches of up to 100: call it until it answers nothing.
      function more() {
        reader.readEntries(function (batch) {
          if (!batch.length) {
            Promise.all(all.map(function (child) { return readEntry(child, prefix + entry.name + "/"); }))
              .then(function (lists) { resolve([].concat.apply([], lists)); });
            return;
          }
          all = all.concat(Array.prototype.slice.call(batch));
          more();
        }, function () { resolve([]); });
      }
      more();
    });
  }

  function dropped(event) {
    var items = event.dataTransfer && event.dataTransfer.items;
    var entries = [];
    if (items) {
      Array.prototype.forEach.call(items, function (item) {
        var entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
        if (entry) entries.push(entry);
      });
    }
    if (!entries.length) return Promise.resolve(Array.prototype.slice.call((event.dataTransfer && event.dataTransfer.files) || []));
    return Promise.all(entries.map(function (entry) { return readEntry(entry, ""); }))
      .then(function (lists) { return [].concat.apply([], lists); });
  }

  document.addEventListener("dragover", function (event) {
    var zone = event.target.closest && event.target.closest("[data-upload-drop]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.add("is-over");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = event.target.closest && event.target.closest("[data-upload-drop]");
    if (zone) zone.classList.remove("is-over");
  });
  document.addEventListener("drop", function (event) {
    var zone = event.target.closest && event.target.closest("[data-upload-drop]");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("is-over");
    var form = zone.closest("form[data-upload-form]");
    dropped(event).then(function (files) {
      form._dropped = (form._dropped || []).concat(files);
      var first = files[0] && files[0].relativePath;
      var folder = form.querySelector("[data-upload-folder]");
      if (folder && first && first.indexOf("/") > 0) folder.dataset.dropped = first.split("/")[0];
      describe(form);
    });
  });

  function showResumable(form) {
    var note = form.querySelector("[data-upload-resume]");
    if (!note) return;
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem("binaboard-upload-" + (form.dataset.project || "")) || "null"); } catch (e) { saved = null; }
    if (!saved) return;
    note.hidden = false;
    note.textContent = t("resumable", { n: saved.files });
  }

  function topFolder(form) {
    var folderInput = form.querySelector("input[webkitdirectory]");
    var first = folderInput && folderInput.files && folderInput.files[0];
    var path = first && first.webkitRelativePath;
    return path && path.indexOf("/") > 0 ? path.split("/")[0] : "";
  }

  function showError(form, text) {
    var box = form.querySelector("[data-upload-error]");
    if (!box) return;
    box.textContent = text;
    box.hidden = !text;
  }

  function describe(form) {
    var files = chosenFiles(form);
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    var line = form.querySelector("[data-upload-selection]");
    var folder = form.querySelector("[data-upload-folder]");
    if (folder) folder.value = topFolder(form) || folder.dataset.dropped || "";
    if (line) {
      line.textContent = files.length
        ? t(folder && folder.value ? "chosenFolder" : "chosen", { n: files.length, size: humanBytes(total), folder: folder && folder.value })
        : "";
    }
    showError(form, "");
    return { files: files, total: total };
  }

  function fragment(html) {
    // A <template> parses without running scripts; upload.js is already here.
    var template = document.createElement("template");
    template.innerHTML = html;
    template.content.querySelectorAll("script").forEach(function (s) { s.remove(); });
    return template.content;
  }

  function setBusy(form, busy) {
    window.BinaBoardUpload.busy = busy;
    form.classList.toggle("is-uploading", busy);
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelectorAll("input, button").forEach(function (el) { el.disabled = busy; });
  }

  function send(form, resending) {
    var chosen = describe(form);
    if (!chosen.files.length) {
      showError(form, t("chooseFirst"));
      return;
    }
    // Images go in chunks, .zip archives in byte-range parts, to an upload session (resumable).
    if (window.crypto && window.crypto.subtle && form.dataset.startUrl) sendSession(form, chosen);
    else sendWhole(form, chosen);
  }

  // --- upload sessions: chunks, a few at once; resume by content hash -----------------------------

  var CONCURRENT = 3;
  var FRAMED = "application/vnd.binaboard.chunk";  // a chunk of files in one body (batches/uploads/frames.py)
  var NAME_CHARS = 1000;  // the longest name (a folder path) the server takes in a chunk

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function sha256(data) {
    return window.crypto.subtle.digest("SHA-256", data).then(hex);
  }

  function pathOf(file) {
    return file.relativePath || file.webkitRelativePath || file.name;
  }

  function post(url, form, body, type) {
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: Object.assign({ "X-CSRFToken": csrf(form), Accept: "application/json" }, type ? { "Content-Type": type } : {}),
    }).catch(function () {
      // The browser's own words for a network failure are in the browser's language: say it in the page's.
      throw new Error(t("connectionLost"));
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) throw new Error(json.error || t("serverError", { status: response.status }));
        return json;
      });
    });
  }

  function storageKey(form) { return "binaboard-upload-" + (form.dataset.project || ""); }

  function formatSeconds(s) {
    if (!isFinite(s) || s < 0) return "…";
    if (s < 60) return t("seconds", { s: Math.ceil(s) });
    return t("minutes", { m: Math.floor(s / 60), s: Math.ceil(s % 60) });
  }

  function sendSession(form, chosen) {
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-upload-status]");
    var list = form.querySelector("[data-upload-files]");
    var cancelButton = form.querySelector("[data-upload-cancel]");
    var files = chosen.files.slice();
    var state = { session: null, aborted: false, xhrs: [], sentBytes: 0, doneBytes: 0, total: 0, started: 0, failed: [], copies: [] };
    box.hidden = false;
    bar.value = 0;
    setBusy(form, true);
    cancelButton.hidden = false;
    cancelButton.disabled = false;
    list.textContent = "";
    window.BinaBoardUpload.current = state;

    function say(text) { status.textContent = text; }

    function rowFor(entry) {
      if (!entry.row) {
        entry.row = document.createElement("li");
        entry.row.setAttribute("data-file", entry.path);
        list.appendChild(entry.row);
      }
      return entry.row;
    }

    function mark(entry, text, kind) {
      var row = rowFor(entry);
      row.className = "upload-file-row is-" + kind;
      var name = document.createElement("bdi"); // a Latin file name inside a Persian line keeps its order
      name.textContent = entry.path;
      row.textContent = "";
      row.appendChild(name);
      row.appendChild(document.createTextNode(" — " + text));
      if (kind === "done" || kind === "known") setTimeout(function () { row.remove(); entry.row = null; }, 1500);
    }

    var fingerprintSource = JSON.stringify(files.map(function (f) { return [pathOf(f), f.size, f.lastModified]; }));
    function isZip(f) { return /\.zip$/i.test(f.name); }
    var entries = files.filter(function (f) { return !isZip(f); }).map(function (f) { return { file: f, path: pathOf(f), sha: "" }; });
    var zips = files.filter(isZip).map(function (f) { return { file: f, path: pathOf(f), key: "", have: {} }; });
    say(t("preparing", { n: files.length }));
    sha256(new TextEncoder().encode(fingerprintSource)).then(function (fingerprint) {
      var data = new FormData();
      data.append("expected", String(files.length));
      // Default name: the folder's, or a lone archive's (as the one-request form does).
      var lone = files.length === 1 && zips.length === 1 ? zips[0].file.name.replace(/\.zip$/i, "") : "";
      data.append("name", (form.querySelector("[name=name]") || {}).value || (form.querySelector("[data-upload-folder]") || {}).value || lone);
      data.append("fingerprint", fingerprint);
      return post(form.dataset.startUrl, form, data).then(function (session) {
        state.session = session;
        try { localStorage.setItem(storageKey(form), JSON.stringify({ session: session.session, fingerprint: fingerprint, files: files.length })); } catch (e) { /* private mode */ }
      });
    }).then(function () {
      return askParts();
    }).then(function () {
      return sendFiles();
    }).then(function () {
      return sendCopies();
    }).then(function () {
      return sendArchives();
    }).then(function () {
      if (state.aborted) return null;
      say(t("allSent"));
      return post(state.session.urls.finish, form, new FormData()).then(watch);
    }).catch(function (error) {
      if (state.aborted) return;
      setBusy(form, false);
      cancelButton.hidden = true;
      showError(form, t("stopped", { reason: error.message }));
    });

    // --- files: hashed in order, asked about a page at a time, sent as soon as the session lacks them ---
    // The first chunk leaves once the first page is hashed, not once the whole folder is (10,000 photos took
    // most of a minute to fingerprint before a byte was sent); CONCURRENT chunks stay in flight meanwhile.

    function sendFiles() {
      var feed = { queue: [], done: false, failed: false, waiting: [] };
      state.total = entries.reduce(function (sum, e) { return sum + e.file.size; }, 0) +
        zips.reduce(function (sum, z) { return sum + z.file.size - z.haveBytes; }, 0);
      state.skipped = 0;
      state.started = performance.now();
      function wake() {
        var waiting = feed.waiting;
        feed.waiting = [];
        waiting.forEach(function (resolve) { resolve(); });
      }
      // A failure anywhere (hashing, asking, a chunk given up on) stops the rest: no more hashing, asking or
      // chunks (those in flight end on their own), so a second Upload never runs beside a dying first one.
      function stop(error) {
        feed.failed = true;
        feed.done = true;
        feed.queue.length = 0;
        wake();
        throw error;
      }
      var hashing = hashAndAsk(function (todo) {
        feed.queue.push.apply(feed.queue, todo);
        wake();
      }, function () { return feed.failed; }).then(function () {
        feed.done = true;
        wake();
      }, stop);
      function nextChunk() {
        if (state.aborted) return Promise.resolve(null);
        var chunk = takeChunk(feed.queue, feed.done);
        if (chunk || feed.done) return Promise.resolve(chunk);
        return new Promise(function (resolve) { feed.waiting.push(resolve); }).then(nextChunk);
      }
      function worker() {
        return nextChunk().then(function (chunk) {
          return chunk && !state.aborted ? sendChunk(chunk, 0).then(worker, stop) : null;
        });
      }
      var running = [hashing];
      for (var i = 0; i < CONCURRENT; i++) running.push(worker());
      return Promise.all(running);
    }

    // Second copies of a content among the chosen files, once every first copy is in: the server answers each
    // with "duplicate of <first> in this upload" (or "known" when a resumed upload listed it already).
    function sendCopies() {
      var queue = state.copies.slice();
      function next() {
        var chunk = state.aborted ? null : takeChunk(queue, true);
        return chunk ? sendChunk(chunk, 0).then(next) : Promise.resolve();
      }
      return next();
    }

    // Each file's SHA-256, in order; a page of them goes to the session's "known" list (pages of a chunk's worth
    // of files at first, doubling up to 1,000: few requests, and the first chunk leaves early). `offer` gets the
    // files of each page the session does not have yet.
    function hashAndAsk(offer, stopped) {
      var i = 0;
      var page = [];
      var size = parseInt(form.dataset.chunkFiles, 10) || 20;
      var asked = Promise.resolve();
      var failure = null;
      var seen = {};  // the contents met so far among the chosen files
      function ask(list) {
        asked = asked.then(function () {
          return post(state.session.urls.known, form, JSON.stringify(list.map(function (e) { return e.sha; })), "application/json");
        }).then(function (answer) {
          var known = {};
          answer.known.forEach(function (sha) { known[sha] = true; });
          var todo = [];
          var before = 0;
          list.forEach(function (e) {
            // The same picture twice in what was chosen: no file "received before", and not dropped either. It
            // goes after the rest (sendCopies), so the server lists it as a duplicate of the first, as it does
            // for two entries of a zip, in the report and here.
            if (seen[e.sha]) {
              state.copies.push(e);
              return;
            }
            seen[e.sha] = true;
            if (!known[e.sha]) {
              todo.push(e);
              return;
            }
            state.total -= e.file.size;
            before += 1;
          });
          if (before) {
            state.skipped += before;
            if (!state.xhrs.length) say(t("skipped", { skipped: state.skipped, todo: entries.length - state.skipped }));
          }
          offer(todo);
        });
        asked.catch(function (error) { failure = error; });
      }
      function next() {
        if (state.aborted) throw new Error("cancelled");
        if (failure) throw failure;
        if (stopped()) throw new Error("stopped");
        if (i >= entries.length) {
          if (page.length) ask(page);
          return asked;
        }
        var entry = entries[i++];
        if (i % 25 === 0 && !state.xhrs.length && !state.doneBytes) say(t("fingerprinting", { i: i, n: entries.length }));
        return entry.file.arrayBuffer().then(sha256).then(function (sha) {
          entry.sha = sha;
          page.push(entry);
          if (page.length >= size) {
            ask(page);
            page = [];
            size = Math.min(size * 2, 1000);
          }
          return next();
        });
      }
      return Promise.resolve().then(next);
    }

    // --- .zip archives: byte-range parts of partBytes, three at once; the server says which it has ---

    function partsOf(z) {
      var size = parseInt(form.dataset.partBytes, 10) || 8 * 1024 * 1024;
      var parts = [];
      for (var start = 0, i = 0; start < z.file.size; start += size, i++) parts.push({ index: i, start: start, end: Math.min(start + size, z.file.size) });
      return parts;
    }

    function askParts() {
      return zips.reduce(function (chain, z) {
        return chain.then(function () {
          return sha256(new TextEncoder().encode(JSON.stringify([z.path, z.file.size, z.file.lastModified]))).then(function (key) {
            z.key = key;
            return fetch(state.session.urls.parts + "?archive=" + key, { credentials: "same-origin", headers: { Accept: "application/json" } });
          }).then(function (response) {
            return response.json();
          }).then(function (answer) {
            z.have = {};
            (answer.have || []).forEach(function (i) { z.have[i] = true; });
            z.parts = partsOf(z);
            z.haveBytes = z.parts.reduce(function (sum, p) { return sum + (z.have[p.index] ? p.end - p.start : 0); }, 0);
          });
        });
      }, Promise.resolve());
    }

    function sendArchives() {
      return zips.reduce(function (chain, z) {
        return chain.then(function () { return sendArchive(z); });
      }, Promise.resolve());
    }

    function sendArchive(z) {
      var todo = z.parts.filter(function (p) { return !z.have[p.index]; });
      var sent = z.parts.length - todo.length;
      var next = 0;
      var zipEntry = { path: z.path };
      mark(zipEntry, t("partsSent", { done: sent, n: z.parts.length }), "sending");
      function worker() {
        if (state.aborted || next >= todo.length) return Promise.resolve();
        var part = todo[next++];
        return sendPart(z, part, 0).then(function () {
          sent += 1;
          state.doneBytes += part.end - part.start;
          mark(zipEntry, t("partsSent", { done: sent, n: z.parts.length }), sent === z.parts.length ? "done" : "sending");
          progress();
        }).then(worker);
      }
      var workers = [];
      for (var i = 0; i < CONCURRENT; i++) workers.push(worker());
      return Promise.all(workers);
    }

    function sendPart(z, part, attempt) {
      var blob = z.file.slice(part.start, part.end);
      return blob.arrayBuffer().then(sha256).then(function (sha) {
        if (state.aborted) return null;
        var data = new FormData();
        data.append("archive", z.key);
        data.append("name", z.path);
        data.append("size", String(z.file.size));
        data.append("count", String(z.parts.length));
        data.append("index", String(part.index));
        data.append("sha256", sha);
        data.append("part", blob, "part");
        return post(state.session.urls.parts, form, data);
      }).catch(function (error) {
        if (state.aborted) return null;
        if (attempt < 3) return new Promise(function (resolve) { setTimeout(resolve, 1000 * (attempt + 1)); }).then(function () { return sendPart(z, part, attempt + 1); });
        throw error;
      });
    }

    // The next chunk from the front of the queue: files up to the chunk's count and bytes; a short one only when
    // no more files are coming (null: wait for more).
    function takeChunk(queue, last) {
      var maxFiles = parseInt(form.dataset.chunkFiles, 10) || 20;
      var maxBytes = (parseInt(form.dataset.chunkBytes, 10) || 64 * 1024 * 1024) - 64 * 1024;
      var bytes = 0;
      var n = 0;
      while (n < queue.length && n < maxFiles) {
        var entry = queue[n];
        var size = entry.file.size + 6 * Math.min(entry.path.length, NAME_CHARS) + 32;  // and its line of the manifest
        if (n && bytes + size > maxBytes) break;
        bytes += size;
        n += 1;
      }
      var full = n === maxFiles || n < queue.length;
      return n && (full || last) ? queue.splice(0, n) : null;
    }

    // Bytes of the chosen files sent so far. A chunk's body is its files plus the framing (length, manifest), so
    // what its request has sent counts in proportion to its files' share of the body: never more than the
    // files, and so never more than the total (100% at most).
    function progress() {
      var sending = state.xhrs.reduce(function (sum, x) {
        return sum + (x.bodyBytes ? Math.min(x.fileBytes, Math.floor((x.loaded * x.fileBytes) / x.bodyBytes)) : 0);
      }, 0);
      var sent = Math.min(state.doneBytes + sending, state.total);
      var seconds = (performance.now() - state.started) / 1000;
      var speed = seconds > 0 ? sent / seconds : 0;
      var percent = state.total ? Math.floor((100 * sent) / state.total) : 100;
      bar.value = percent;
      say(t("sending", {
        sent: humanBytes(sent), total: humanBytes(state.total), percent: percent, speed: humanBytes(Math.round(speed)),
        left: formatSeconds(speed ? (state.total - sent) / speed : Infinity)
      }));
    }

    // One body for the whole chunk (batches/uploads/frames.py): the manifest's length (4 bytes, big-endian),
    // the manifest (JSON: names and sizes), then the files back to back. The server reads each file in one
    // go instead of parsing multipart; the Blob only refers to the files, nothing is copied here.
    function framed(chunk) {
      var manifest = new TextEncoder().encode(JSON.stringify(chunk.map(function (entry) {
        return { name: entry.path.slice(-NAME_CHARS), size: entry.file.size };
      })));
      var length = new Uint8Array(4);
      new DataView(length.buffer).setUint32(0, manifest.length, false);
      return new Blob([length, manifest].concat(chunk.map(function (entry) { return entry.file; })));
    }

    function sendChunk(chunk, attempt) {
      return new Promise(function (resolve, reject) {
        chunk.forEach(function (entry) { mark(entry, t("fileSending"), "sending"); });
        var xhr = new XMLHttpRequest();
        xhr.loaded = 0;
        xhr.fileBytes = chunk.reduce(function (sum, e) { return sum + e.file.size; }, 0);  // for progress()
        state.xhrs.push(xhr);
        xhr.open("POST", state.session.urls.files);
        xhr.setRequestHeader("Content-Type", FRAMED);
        xhr.setRequestHeader("X-CSRFToken", csrf(form));
        xhr.setRequestHeader("Accept", "application/json");
        xhr.upload.addEventListener("progress", function (event) {
          xhr.loaded = event.loaded;
          xhr.bodyBytes = event.total;
          var percent = event.total ? Math.floor((100 * event.loaded) / event.total) : 0;
          chunk.forEach(function (entry) { mark(entry, t("fileSendingPercent", { percent: percent }), "sending"); });
          progress();
        });
        function done() { state.xhrs = state.xhrs.filter(function (x) { return x !== xhr; }); }
        xhr.addEventListener("load", function () {
          done();
          var answer = null;
          try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
          if (xhr.status !== 200 || !answer || !answer.files) {
            if (xhr.status >= 500 && attempt < 3) return setTimeout(function () { sendChunk(chunk, attempt + 1).then(resolve, reject); }, 1000 * (attempt + 1));
            return reject(new Error((answer && answer.error) || t("serverError", { status: xhr.status })));
          }
          state.doneBytes += chunk.reduce(function (sum, e) { return sum + e.file.size; }, 0);
          answer.files.forEach(function (outcome, i) {
            var entry = chunk[i];
            if (!entry) return;
            if (outcome.status === "failed" || outcome.status === "retry") {
              state.failed.push(outcome);
              mark(entry, outcome.reason, "failed");
            } else {
              mark(entry, t(outcome.status === "known" ? "fileKnown" : "fileReceived"), outcome.status === "known" ? "known" : "done");
            }
          });
          progress();
          resolve();
        });
        xhr.addEventListener("error", function () {
          done();
          if (state.aborted) return resolve();
          if (attempt < 3) return setTimeout(function () { sendChunk(chunk, attempt + 1).then(resolve, reject); }, 1000 * (attempt + 1));
          reject(new Error(t("connectionLost")));
        });
        xhr.addEventListener("abort", function () { done(); resolve(); });
        xhr.send(framed(chunk));
      });
    }

    function watch(session) {
      state.session = Object.assign(state.session, session);
      bar.value = session.expected ? Math.floor((100 * (session.processed + session.failed)) / session.expected) : 100;
      say(t("processing", { ready: session.processed, expected: session.expected, failed: session.failed }));
      if (session.status === "done" || session.status === "cancelled") return finished(session);
      return new Promise(function (resolve) { setTimeout(resolve, 1500); })
        .then(function () { return fetch(state.session.urls.status, { credentials: "same-origin" }); })
        .then(function (response) { return response.json(); })
        .then(watch);
    }

    function finished(session) {
      try { localStorage.removeItem(storageKey(form)); } catch (e) { /* private mode */ }
      setBusy(form, false);
      cancelButton.hidden = true;
      bar.value = 100;
      // The report above the form says it all: no "Processing: …" line and no second list of refusals below it.
      box.hidden = true;
      list.textContent = "";
      var report = document.createElement("section");
      report.className = "panel upload-report";
      report.setAttribute("data-upload-report", "");
      report.setAttribute("tabindex", "-1");
      if (session.batch) report.setAttribute("data-batch-id", String(session.batch));
      var summary = document.createElement("p");
      summary.className = "upload-summary " + (session.batch ? "is-ok" : "is-bad");
      summary.setAttribute("role", "status");
      var refused = session.failed ? t("refusedSome", { n: session.failed }) : ".";
      summary.textContent = (session.batch
        ? t("kept", { n: session.processed, name: session.name }) + refused
        : t("keptNone") + refused) +
        (state.skipped ? " " + t("skippedBefore", { n: state.skipped }) : "");
      report.appendChild(summary);
      if (session.refused && session.refused.length) {
        var table = document.createElement("table");
        table.className = "list upload-list";
        var body = document.createElement("tbody");
        session.refused.forEach(function (row) {
          var tr = document.createElement("tr");
          tr.setAttribute("data-outcome", "refused");
          [row.name, row.reason].forEach(function (text) {
            var td = document.createElement("td");
            td.textContent = text;
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
        table.appendChild(body);
        report.appendChild(table);
      }
      var link = document.createElement("a");
      link.href = session.urls.report;
      link.className = "btn";
      link.setAttribute("data-upload-report-link", "");
      link.textContent = t("reportLink");
      if (session.batch && form.dataset.boardUrl) {
        var board = document.createElement("a");
        board.href = form.dataset.boardUrl + "#card-" + session.batch;
        board.className = "btn btn-primary";
        board.setAttribute("data-upload-board-link", "");
        board.textContent = t("boardLink", { name: session.name });
        report.appendChild(board);
      }
      report.appendChild(link);
      form.parentNode.insertBefore(report, form);
      report.focus();
      if (session.batch) document.body.dispatchEvent(new CustomEvent("batches:uploaded", { bubbles: true, detail: { batchId: session.batch } }));
    }

    cancelButton.onclick = function () {
      state.aborted = true;
      state.xhrs.slice().forEach(function (x) { x.abort(); });
      cancelButton.disabled = true;
      var after = function () {
        try { localStorage.removeItem(storageKey(form)); } catch (e) { /* private mode */ }
        setBusy(form, false);
        cancelButton.hidden = true;
        box.hidden = true;
        list.textContent = "";
        showError(form, t("cancelled"));
      };
      if (state.session) post(state.session.urls.cancel, form, new FormData()).then(after, after);
      else after();
    };
  }

  function sendWhole(form, chosen) {
    var maxFiles = parseInt(form.dataset.maxFiles, 10);
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    if (maxFiles && chosen.files.length > maxFiles) {
      showError(form, t("tooManyFiles", { n: chosen.files.length, max: maxFiles }));
      return;
    }
    if (maxBytes && chosen.total > maxBytes) {
      showError(form, t("tooLarge", { size: humanBytes(chosen.total), max: form.dataset.maxLabel }));
      return;
    }
    var data = new FormData(form); // before disabling: disabled inputs are not sent
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-upload-status]");
    box.hidden = false;
    bar.value = 0;
    status.textContent = t("uploading", { size: humanBytes(chosen.total), percent: 0 });
    setBusy(form, true);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.floor((100 * event.loaded) / event.total);
      bar.value = percent;
      status.textContent = t("uploadingOf", { sent: humanBytes(event.loaded), total: humanBytes(event.total), percent: percent });
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = t("checking");
      box.classList.add("is-checking");
    });
    xhr.addEventListener("load", function () {
      setBusy(form, false);
      var session = window.BinaBoard && window.BinaBoard.session;
      var refused = xhr.status === 401 || xhr.status === 403 || (session && session.isLoginPage(xhr.responseURL));
      if (session && refused && !resending) {
        // Signed out (or signed in again elsewhere, which changes the CSRF token): nothing was added.
        box.hidden = true;
        session.check().then(function (answer) {
          if (answer.authenticated) {
            showError(form, "");
            send(form, true); // once, with the fresh token app.js put into the form
          } else {
            showError(form, session.text("signedOut"));
            session.showSignedOut();
          }
        }).catch(function () { showError(form, session.text("signedOut")); });
        return;
      }
      var type = xhr.getResponseHeader("Content-Type") || "";
      var html = type.indexOf("text/html") === 0 ? xhr.responseText : "";
      if (!html || html.indexOf("data-upload-area") === -1) {
        // Not our answer: a proxy's limit, a signed-out session, a server error page.
        box.hidden = true;
        showError(form, t(xhr.status === 403 ? "refusedReload" : "refusedByServer", { status: xhr.status }));
        return;
      }
      swapIn(form, html);
    });
    xhr.addEventListener("error", function () {
      setBusy(form, false);
      box.hidden = true;
      showError(form, t("interrupted"));
    });
    xhr.send(data);
  }

  function swapIn(form, html) {
    var target = form.closest("[data-upload-area]") || form;
    var fresh = fragment(html).querySelector("[data-upload-area]");
    target.replaceWith(fresh);
    var report = fresh.querySelector("[data-upload-report]");
    if (report) {
      report.focus();
      var batchId = report.getAttribute("data-batch-id");
      if (batchId) {
        document.body.dispatchEvent(new CustomEvent("batches:uploaded", { bubbles: true, detail: { batchId: batchId } }));
      }
    } else {
      var error = fresh.querySelector("[data-upload-error]:not([hidden])");
      if (error) {
        error.setAttribute("tabindex", "-1");
        error.focus();
      }
    }
  }

  document.querySelectorAll("form[data-upload-form]").forEach(showResumable);
  document.addEventListener("htmx:afterSwap", function () { document.querySelectorAll("form[data-upload-form]").forEach(showResumable); });

  document.addEventListener("change", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-form]");
    if (form && event.target.type === "file") describe(form);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest && event.target.closest("form[data-upload-form]");
    if (!form || !window.FormData) return;
    event.preventDefault();
    if (!window.BinaBoardUpload.busy) send(form);
  });

  // --- the dialog ---------------------------------------------------------------------------------

  function ensureStylesheet() {
    if (!stylesheet || document.querySelector('link[href="' + stylesheet + '"]')) return;
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = stylesheet;
    document.head.appendChild(link);
  }

  function openDialog(link) {
    ensureStylesheet();
    var dialog = document.createElement("dialog");
    dialog.className = "upload-dialog";
    dialog.setAttribute("aria-labelledby", "upload-dialog-title");
    dialog.innerHTML =
      '<div class="upload-dialog-head"><h2 id="upload-dialog-title"></h2>' +
      '<button type="button" class="btn btn-small" data-upload-close></button></div>' +
      '<div class="upload-dialog-body" data-upload-dialog-body><p class="muted"></p></div>';
    dialog.querySelector("#upload-dialog-title").textContent = t("dialogTitle");
    dialog.querySelector("[data-upload-close]").textContent = t("close");
    dialog.querySelector("[data-upload-dialog-body] p").textContent = t("loading");
    document.body.appendChild(dialog);
    dialog.addEventListener("cancel", function (event) {
      if (window.BinaBoardUpload.busy) event.preventDefault(); // keep the upload going
    });
    dialog.addEventListener("close", function () {
      var uploaded = dialog.querySelector("[data-upload-report][data-batch-id]");
      dialog.remove();
      if (uploaded && document.querySelector("[data-column]")) window.location.reload();
      else if (link && link.focus) link.focus();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("[data-upload-close]") && !window.BinaBoardUpload.busy) dialog.close();
    });
    dialog.showModal();
    var request = new XMLHttpRequest();
    request.open("GET", link.href);
    request.setRequestHeader("HX-Request", "true");
    request.addEventListener("load", function () {
      var body = dialog.querySelector("[data-upload-dialog-body]");
      if (request.status !== 200) {
        body.innerHTML = "";
        var p = document.createElement("p");
        p.className = "form-error";
        p.textContent = t("formFailed", { status: request.status });
        body.appendChild(p);
        return;
      }
      body.innerHTML = "";
      body.appendChild(fragment(request.responseText));
      body.querySelectorAll("form[data-upload-form]").forEach(showResumable);
      var first = body.querySelector("input[type=file]");
      if (first) first.focus();
    });
    request.send();
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    var menuLink = document.querySelector("a[data-upload-link]");
    // The project menu's Upload link, or any other link to the same page (the board's "Upload images").
    if (link && !link.hasAttribute("data-upload-link") && !(menuLink && link.href === menuLink.href)) link = null;
    if (!link || event.defaultPrevented || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    if (document.querySelector("[data-upload-area]") || typeof HTMLDialogElement !== "function") return; // already on the page
    event.preventDefault();
    openDialog(link);
  });
})();
