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
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, function () { select(source); });
  } else {
    select(source);
    try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
  }
});
function select(el) {
  var r = document.createRange();
  r.selectNodeContents(el);
  var s = window.getSelection();
  s.removeAllRanges();
  s.addRange(r);
}
