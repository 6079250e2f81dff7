// Small progressive enhancements for the CityAI console. Every page works without it.
(function () {
  "use strict";

  // Mark the navigation link of the current section.
  var here = window.location.pathname;
  document.querySelectorAll("header nav a").forEach(function (link) {
    var target = link.getAttribute("href");
    if (here === target || here.indexOf(target + "/") === 0) {
      link.setAttribute("aria-current", "page");
    }
  });

  // Triage: the keys 1, 2 and 3 submit the matching suggestion, unless the user is typing.
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.repeat) {
      return;
    }
    var target = event.target;
    if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) {
      return;
    }
    var form = document.querySelector('form[data-key="' + event.key + '"]');
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
})();
