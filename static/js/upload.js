// Upload: sends the form with XMLHttpRequest so a progress bar can follow the bytes, then swaps in
// the server's kept/refused report. Without JavaScript the same form posts as plain multipart.
// Also opens the upload form in a modal dialog from any [data-upload-link] (the project menu, the board).
(function () {
  "use strict";
  if (window.BinaBoardUpload) return; // loaded again by a swapped-in form
  window.BinaBoardUpload = { busy: false };
  var script = document.currentScript;
  var stylesheet = (script && script.getAttribute("data-stylesheet")) || ""; // the dialog's styles, loaded on first use

  function humanBytes(n) {
    var units = ["bytes", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return (i === 0 ? String(n) : n.toFixed(1).replace(/\.0$/, "")) + " " + units[i];
  }

  function chosenFiles(form) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { files.push(file); });
    });
    return files;
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
    if (folder) folder.value = topFolder(form);
    if (line) {
      line.textContent = files.length
        ? files.length + " file" + (files.length === 1 ? "" : "s") + " chosen, " + humanBytes(total) +
          (folder && folder.value ? " (folder “" + folder.value + "”)" : "")
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
    var maxFiles = parseInt(form.dataset.maxFiles, 10);
    var maxBytes = parseInt(form.dataset.maxBytes, 10);
    if (!chosen.files.length) {
      showError(form, "Choose some images, a folder or a .zip archive first.");
      return;
    }
    if (maxFiles && chosen.files.length > maxFiles) {
      showError(form, chosen.files.length + " files is more than one upload takes (" + maxFiles +
        "). Put them in a .zip archive or upload them in parts.");
      return;
    }
    if (maxBytes && chosen.total > maxBytes) {
      showError(form, "These files add up to " + humanBytes(chosen.total) + "; one upload takes at most " +
        form.dataset.maxLabel + ". Upload them in parts.");
      return;
    }
    var data = new FormData(form); // before disabling: disabled inputs are not sent
    var box = form.querySelector("[data-upload-progress]");
    var bar = box.querySelector("progress");
    var status = box.querySelector("[data-upload-status]");
    box.hidden = false;
    bar.value = 0;
    status.textContent = "Uploading " + humanBytes(chosen.total) + "… 0%";
    setBusy(form, true);

    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("HX-Request", "true");
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable) return;
      var percent = Math.floor((100 * event.loaded) / event.total);
      bar.value = percent;
      status.textContent = "Uploading " + humanBytes(event.loaded) + " of " + humanBytes(event.total) + "… " + percent + "%";
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = "Uploaded 100%. Checking the images…";
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
        showError(form, "The server refused the upload (HTTP " + xhr.status + "). Nothing was added; " +
          (xhr.status === 403 ? "reload the page and try again." : "try fewer or smaller files."));
        return;
      }
      swapIn(form, html);
    });
    xhr.addEventListener("error", function () {
      setBusy(form, false);
      box.hidden = true;
      showError(form, "The upload was interrupted (network error). Nothing was added; try again.");
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
      '<div class="upload-dialog-head"><h2 id="upload-dialog-title">Upload images</h2>' +
      '<button type="button" class="btn btn-small" data-upload-close>Close</button></div>' +
      '<div class="upload-dialog-body" data-upload-dialog-body><p class="muted">Loading…</p></div>';
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
        p.textContent = "The upload form could not be loaded (HTTP " + request.status + ").";
        body.appendChild(p);
        return;
      }
      body.innerHTML = "";
      body.appendChild(fragment(request.responseText));
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
