// Site-wide behaviour: toasts that fade, and the `showMessage` event any response can trigger
// (HX-Trigger: {"showMessage": {"text": "...", "level": "error"}}).
(function () {
  "use strict";

  // Numbers the scripts write into the page take its language's digits (Persian digits on a Persian page),
  // as the server's localise_digits and |digits do. Only numbers the code formats: names people typed stay
  // as typed, and values sent to the server, ids and data attributes stay Latin (a number a person types may
  // come in Persian digits: latinDigits below reads it).
  var PERSIAN = "۰۱۲۳۴۵۶۷۸۹";
  var persianDigits = /^fa(-|$)/i.test(document.documentElement.lang || "");
  function digits(value) {
    var text = String(value);
    if (!persianDigits) return text;
    // Inside a number Persian writes its own decimal (٫) and thousands (٬) separators, as localise_digits does.
    return text.replace(/[0-9]/g, function (d) { return PERSIAN[d]; })
      .replace(/([۰-۹])\.(?=[۰-۹])/g, "$1\u066b")
      .replace(/([۰-۹]),(?=[۰-۹]{3}(?![۰-۹]))/g, "$1\u066c");
  }
  // A translated sentence's %(name)s placeholders filled in: numbers in the page's digits, strings as they are
  // (a string holding digits, e.g. a size from humanBytes, goes through digits() itself where it is made).
  function format(template, values) {
    values = values || {};
    return String(template || "").replace(/%\((\w+)\)s/g, function (all, name) {
      if (!Object.prototype.hasOwnProperty.call(values, name)) return all;
      var value = values[name];
      return typeof value === "number" ? digits(value) : String(value);
    });
  }
  // What a person typed with a Persian or Arabic keyboard, read as a number: its digits made Latin (the
  // server's latin_digits does the same for forms).
  function latinDigits(text) {
    return String(text).replace(/[۰-۹]/g, function (d) { return String(PERSIAN.indexOf(d)); })
      .replace(/[٠-٩]/g, function (d) { return String(d.charCodeAt(0) - 0x0660); });
  }
  window.BinaBoard = window.BinaBoard || {};
  window.BinaBoard.digits = digits;
  window.BinaBoard.latinDigits = latinDigits;
  window.BinaBoard.format = format;
  // A phone-sized screen, where the CSS stacks the board's columns and folds the top bar (the same 640px as
  // the stylesheets' @media (max-width: 640px) rules).
  window.BinaBoard.phone = window.matchMedia("(max-width: 640px)");

  // Previous and next image from the keyboard: A and D, and the arrow that points at the button. On a
  // right-to-left page Next sits on the left ("بعدی ←"), so there ← goes on and → goes back, as the
  // board's arrows go the way they point. Answers "next", "prev" or null.
  window.BinaBoard.imageStep = function (code) {
    if (code === "KeyD") return "next";
    if (code === "KeyA") return "prev";
    if (code !== "ArrowRight" && code !== "ArrowLeft") return null;
    var rtl = document.documentElement.dir === "rtl";
    return (code === "ArrowRight") !== rtl ? "next" : "prev";
  };

  // `undo` (from a move's answer): {url, version, from, label, seconds}: the toast offers Undo that long,
  // posting the batch as it was after the move; the server takes the move back or says why not.
  function showToast(text, level, undo) {
    var region = document.getElementById("toasts");
    if (!region || !text) return;
    // The same words again (a save failing once more): one message, shown afresh, not a stack of copies.
    Array.prototype.forEach.call(region.querySelectorAll(".toast"), function (old) {
      if (!old.querySelector("[data-undo]") && old.textContent.trim() === text) old.remove();
    });
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    var words = document.createElement("span");
    words.textContent = text;
    toast.appendChild(words);
    var stay = level === "error" ? 9000 : 5000;
    if (undo && undo.url && window.htmx) {
      stay = Math.max(stay, (undo.seconds || 10) * 1000);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "toast-undo";
      button.setAttribute("data-undo", "");
      button.textContent = undo.label;
      button.addEventListener("click", function () {
        button.disabled = true;
        toast.remove();
        var board = document.getElementById("board");
        htmx.ajax("POST", undo.url, {
          source: board || document.body,
          swap: "none",
          values: { version: undo.version, from: undo.from },
        });
      });
      toast.appendChild(button);
    }
    region.appendChild(toast);
    setTimeout(function () { toast.classList.add("toast-leaving"); }, stay);
    setTimeout(function () { toast.remove(); }, stay + 600);
    return toast;
  }
  window.BinaBoard.showToast = showToast;

  document.addEventListener("showMessage", function (event) {
    var detail = event.detail || {};
    showToast(detail.text || detail.value, detail.level, detail.undo);
  });

  // --- the session ending while a page is open ---------------------------------------------------
  // A request that finds the person signed out (401, a CSRF 403, or htmx following a redirect to
  // the login page) shows one notice with a link that signs in again in a new tab. When the tab is
  // shown again, the session is checked; once signed in, the fresh CSRF token goes into every form
  // and htmx header, the notice goes, and the page's listeners (retry a save, reload the board) run.
  var info = document.getElementById("session-info");
  var session = {
    signedOut: false,
    listeners: [],
    text: function (name) { return info ? info.dataset[name] || "" : ""; },
    isLoginPage: function (url) {
      if (!info || !url) return false;
      var login = new URL(info.dataset.loginUrl, window.location.href);
      var answered = new URL(url, window.location.href);
      return answered.origin === login.origin && answered.pathname === login.pathname;
    },
    check: function () {
      if (!info) return Promise.resolve({ authenticated: true, csrfToken: "" });
      return fetch(info.dataset.checkUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.authenticated) useToken(answer.csrfToken);
          return answer;
        });
    },
    showSignedOut: function () {
      session.signedOut = true;
      if (document.getElementById("session-notice")) return;
      var notice = document.createElement("div");
      notice.id = "session-notice";
      notice.className = "toast toast-error session-notice";
      notice.setAttribute("role", "alert");
      var link = document.createElement("a");
      link.href = info ? info.dataset.loginUrl : "/";
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = session.text("signIn");
      notice.append(session.text("signedOut") + " ", link);
      var region = document.getElementById("toasts");
      if (region) region.appendChild(notice);
    },
    onSignedIn: function (listener) { session.listeners.push(listener); },
  };

  function useToken(token) {
    if (!token) return;
    document.querySelectorAll("input[name=csrfmiddlewaretoken]").forEach(function (input) { input.value = token; });
    var headers = document.body.getAttribute("hx-headers");
    if (headers) {
      var parsed = JSON.parse(headers);
      parsed["x-csrftoken"] = token;
      document.body.setAttribute("hx-headers", JSON.stringify(parsed));
    }
  }

  function checkAgain() {
    if (!session.signedOut || document.hidden) return;
    session.check().then(function (answer) {
      if (!answer.authenticated || !session.signedOut) return;
      session.signedOut = false;
      var notice = document.getElementById("session-notice");
      if (notice) notice.remove();
      showToast(session.text("signedIn"), "success");
      session.listeners.forEach(function (listener) { listener(answer.csrfToken); });
    }).catch(function () {});
  }
  window.addEventListener("focus", checkAgain);
  document.addEventListener("visibilitychange", checkAgain);
  window.BinaBoard.session = session;

  // htmx: a redirect to the login page is never swapped in; a 401 or 403 asks whether the session ended.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && session.isLoginPage(xhr.responseURL)) {
      event.detail.shouldSwap = false;
      event.detail.signedOut = true;
      session.showSignedOut();
    }
  });
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || (xhr.status !== 401 && xhr.status !== 403)) return;
    session.check().then(function (answer) {
      if (!answer.authenticated) session.showSignedOut();
    }).catch(function () {});
  });

  // The phone's top bar: navigation and user menu fold behind one "Menu" button (CSS decides when).
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector("[data-nav-toggle]");
    var bar = toggle && toggle.closest(".topbar");
    if (!bar) return;
    toggle.hidden = false;
    bar.classList.add("nav-collapsible");
    function setOpen(open) {
      bar.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () { setOpen(!bar.classList.contains("nav-open")); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && bar.classList.contains("nav-open")) { setOpen(false); toggle.focus(); }
    });
    document.addEventListener("click", function (event) {
      if (bar.classList.contains("nav-open") && !bar.contains(event.target)) setOpen(false);
    });
  });

  // The browser's own form checks ("Please fill out this field") speak the browser's language, not the page's:
  // a Persian page on an English browser said them in English. The page gives its own words (#form-words);
  // typing or choosing clears them, so the browser checks the field afresh.
  function formWord(field) {
    var words = document.getElementById("form-words");
    var validity = field.validity;
    if (!words || !validity) return "";
    var say = words.dataset;
    if (validity.valueMissing) {
      if (field.type === "checkbox") return say.tick;
      if (field.type === "radio" || field.tagName === "SELECT") return say.choose;
      if (field.type === "file") return say.file;
      return say.required;
    }
    if (validity.typeMismatch) return field.type === "email" ? say.email : say.url;
    if (validity.tooShort) return format(say.tooShort, { n: Number(field.minLength) });
    if (validity.badInput || validity.stepMismatch) return say.whole;
    if (validity.rangeUnderflow) return format(say.min, { n: Number(field.min) });
    if (validity.rangeOverflow) return format(say.max, { n: Number(field.max) });
    if (validity.patternMismatch) return field.title || say.pattern;
    return "";
  }
  document.addEventListener("invalid", function (event) {
    var field = event.target;
    if (!field.setCustomValidity) return;
    field.setCustomValidity("");
    var text = formWord(field);
    if (text) field.setCustomValidity(text);
  }, true);
  ["input", "change"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var field = event.target;
      if (field.setCustomValidity) field.setCustomValidity("");
    }, true);
  });

  // Server-rendered messages fade like the others.
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(function (toast) {
      setTimeout(function () { toast.classList.add("toast-leaving"); }, 6000);
      setTimeout(function () { toast.remove(); }, 6600);
    });
  });
})();
