// beian's own behaviour for the pages, beside htmx: copy buttons. No inline scripts anywhere
// (the Content-Security-Policy forbids them).
"use strict";
document.addEventListener("click", function (ev) {
  var btn = ev.target.closest("button.copy");
  if (!btn) return;
  var source = document.getElementById(btn.getAttribute("data-copy"));
  if (!source) return;
  var text = source.textContent;
  var done = function () {
    var label = btn.textContent;
    btn.textContent = btn.getAttribute("data-copied");
    btn.setAttribute("aria-live", "polite");
    setTimeout(function () { btn.textContent = label; }, 2000);
  };
  var fallback = function () {
    select(source);
    try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected */ }
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, fallback);
  } else {
    fallback();
  }
});
function select(el) {
  var r = document.createRange();
  r.selectNodeContents(el);
  var s = window.getSelection();
  s.removeAllRanges();
  s.addRange(r);
}

// Uploads on the wizard's document steps: check type and size before sending, preview the
// picture, send with a progress bar, then show the step as the server answers it. Without
// this script the same forms post normally.
var ACCEPTED = ["image/jpeg", "image/png", "application/pdf"];
document.addEventListener("change", function (ev) {
  var input = ev.target;
  if (!input.matches || !input.matches("form.upload input[type=file]")) return;
  var form = input.form, file = input.files && input.files[0];
  var error = form.querySelector(".upload-error");
  var fail = function (msg) {
    error.textContent = msg;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
  };
  error.hidden = true;
  input.removeAttribute("aria-invalid");
  if (!file) return;
  if (ACCEPTED.indexOf(file.type) < 0) return fail(form.getAttribute("data-wrong-type"));
  if (file.size > Number(form.getAttribute("data-max"))) return fail(form.getAttribute("data-too-large"));
  var preview = form.querySelector(".preview");
  if (preview && file.type.indexOf("image/") === 0) {
    preview.querySelector("img").src = URL.createObjectURL(file);
    preview.hidden = false;
  }
  upload(form);
});
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (!form.matches("form.upload") || !window.XMLHttpRequest) return;
  ev.preventDefault();
  upload(form);
});
function upload(form) {
  var bar = form.querySelector("progress");
  var xhr = new XMLHttpRequest();
  xhr.open("POST", form.action);
  xhr.upload.onprogress = function (e) {
    if (e.lengthComputable) { bar.hidden = false; bar.value = Math.round(100 * e.loaded / e.total); }
  };
  xhr.onload = function () {
    var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var fresh = doc.getElementById("wizard"), old = document.getElementById("wizard");
    if (fresh && old) { old.replaceWith(fresh); } else { location.reload(); }
  };
  xhr.onerror = function () { location.reload(); };
  xhr.send(new FormData(form));
}

// The session's end: a warning five minutes before (the server says how many seconds are
// left when the page is sent, so the client's clock does not matter).
(function () {
  var w = document.getElementById("session-warning");
  if (!w) return;
  var left = Number(w.getAttribute("data-left"));
  setTimeout(function () { w.hidden = false; }, Math.max(0, left - 300) * 1000);
})();

// Documents on the reviewer's page: zoom, rotate, reset (CSSOM, which the CSP allows).
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("[data-doc]");
  if (!b) return;
  var img = b.closest("figure.doc").querySelector("img");
  var zoom = Number(img.getAttribute("data-zoom") || 1), turn = Number(img.getAttribute("data-turn") || 0);
  var what = b.getAttribute("data-doc");
  if (what === "in") zoom = Math.min(4, zoom * 1.25);
  else if (what === "out") zoom = Math.max(0.5, zoom / 1.25);
  else if (what === "rotate") turn = (turn + 90) % 360;
  else { zoom = 1; turn = 0; }
  img.setAttribute("data-zoom", zoom);
  img.setAttribute("data-turn", turn);
  img.style.transform = "rotate(" + turn + "deg) scale(" + zoom + ")";
});

// Keyboard shortcuts for reviewers, never while typing: in the queue j/k move between orders
// and / searches; on an order v, a, r focus the identity note, approval and the first reason,
// q goes back to the queue.
document.addEventListener("keydown", function (ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  var t = ev.target;
  if (t.closest && t.closest("input, textarea, select, [contenteditable]")) return;
  var focus = function (sel) { var el = document.querySelector(sel); if (el) { el.focus(); ev.preventDefault(); } };
  var links = Array.prototype.slice.call(document.querySelectorAll("a.row-link"));
  if (links.length && (ev.key === "j" || ev.key === "k")) {
    var i = links.indexOf(document.activeElement);
    i = ev.key === "j" ? Math.min(links.length - 1, i + 1) : Math.max(0, i - 1);
    links[i].focus();
    ev.preventDefault();
  } else if (ev.key === "/") focus("#q-subject");
  else if (ev.key === "v") focus("#note");
  else if (ev.key === "a") focus("#approve");
  else if (ev.key === "r") focus("#field-1");
  else if (ev.key === "q" && location.pathname.indexOf("/review/orders/") === 0) location.assign("/review");
});

// The wizard saves as the applicant goes (htmx, on change) and morphs the step into the
// server's answer. An answer to an earlier save must not put back what has been typed since
// (a field filled while the save was on its way came back empty, and "next" then sent it
// empty): before the swap, the answer's fields take the values on the page now. Hidden
// fields (the draft's version, the form token) stay the server's.
document.addEventListener("htmx:before:swap", function (ev) {
  var tasks = (ev.detail && ev.detail.tasks) || [];
  tasks.forEach(function (t) {
    if (!t.fragment || !t.fragment.querySelectorAll) return;
    t.fragment.querySelectorAll("input, select, textarea").forEach(keepTyped);
  });
});
function keepTyped(fresh) {
  if (fresh.type === "hidden" || fresh.type === "file" || fresh.type === "submit") return;
  var now = fresh.id ? document.getElementById(fresh.id)
    : fresh.name && fresh.type === "checkbox"
      ? document.querySelector('input[type=checkbox][name="' + CSS.escape(fresh.name) + '"][value="' + CSS.escape(fresh.value) + '"]')
      : null;
  if (!now || now.tagName !== fresh.tagName) return;
  if (fresh.type === "checkbox" || fresh.type === "radio") {
    if (now.checked) fresh.setAttribute("checked", ""); else fresh.removeAttribute("checked");
  } else if (fresh.tagName === "SELECT") {
    Array.prototype.forEach.call(fresh.options, function (o) {
      if (o.value === now.value) o.setAttribute("selected", ""); else o.removeAttribute("selected");
    });
  } else if (fresh.tagName === "TEXTAREA") {
    fresh.textContent = now.value;
  } else {
    fresh.setAttribute("value", now.value);
  }
}
