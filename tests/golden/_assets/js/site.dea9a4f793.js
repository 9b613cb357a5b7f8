// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";
  var toggle = document.querySelector(".mainnav__toggle");
  var list = document.getElementById("mainnav-list");
  if (toggle && list) {
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", String(!open));
      list.classList.toggle("is-open", !open);
    });
  }
})();
