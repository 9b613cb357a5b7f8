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

  // 访问统计: one beacon per page view to the group's API (docs/stats.md). No cookie, no
  // storage; the referrer is sent without its query. Counting never breaks a page.
  var body = document.body;
  var api = body.getAttribute("data-api");
  if (api && body.hasAttribute("data-page")) {
    try {
      var payload = JSON.stringify({
        site: body.getAttribute("data-site"),
        path: body.getAttribute("data-page"),
        ref: (document.referrer || "").split(/[?#]/)[0]
      });
      var endpoint = new URL("hits", new URL(api, window.location.href)).href;
      if (!(navigator.sendBeacon && navigator.sendBeacon(endpoint, payload))) {
        window.fetch(endpoint, { method: "POST", body: payload, keepalive: true, credentials: "omit" });
      }
    } catch (e) {
      /* no API, an old browser: the page works the same */
    }
  }

  // DOM building for the page scripts (query.js, cases.js): values from the API or the
  // visitor reach the page only as text nodes and attributes, never as markup.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) {
        return;
      }
      if (key === "text") {
        node.textContent = value;
      } else if (key === "className") {
        node.className = value;
      } else {
        node.setAttribute(key, value);
      }
    });
    for (var i = 2; i < arguments.length; i++) {
      append(node, arguments[i]);
    }
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  /**
   * What to tell the visitor about a failed API answer ({status, body} or {offline}): the
   * API's own message when it sent one, else the page's words for the status.
   * ``words``: {offline, unavailable, failed, fallback: {status: message}}; ``unavailable``
   * and ``failed`` are followed by the status in parentheses.
   */
  function apiMessage(answer, words) {
    if (answer.offline) {
      return words.offline;
    }
    var error = answer.body && answer.body.error;
    if (error && typeof error.message === "string" && error.message) {
      return error.message;
    }
    if (words.fallback[answer.status]) {
      return words.fallback[answer.status];
    }
    return answer.status >= 500
      ? words.unavailable[0] + "（" + answer.status + "）" + words.unavailable[1]
      : words.failed[0] + "（" + answer.status + "）" + words.failed[1];
  }

  // -- Field errors: the message under the field, tied to it for screen readers ------------

  function describedBy(field) {
    return (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
  }

  function clearFieldError(field) {
    var id = field.id + "-error";
    var note = document.getElementById(id);
    if (note) {
      note.parentNode.removeChild(note);
    }
    field.removeAttribute("aria-invalid");
    var ids = describedBy(field).filter(function (x) { return x !== id; });
    if (ids.length) {
      field.setAttribute("aria-describedby", ids.join(" "));
    } else {
      field.removeAttribute("aria-describedby");
    }
  }

  function markField(field, message) {
    clearFieldError(field);
    var id = field.id + "-error";
    field.parentNode.insertBefore(el("p", {className: "field__error", id: id, text: message}),
      field.nextSibling);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", [id].concat(describedBy(field)).join(" "));
  }

  /** Clear every marked field inside ``container``. */
  function clearErrors(container) {
    Array.prototype.forEach.call(container.querySelectorAll("[aria-invalid]"), clearFieldError);
  }

  window.sitegroupDom = {
    el: el,
    append: append,
    clear: clear,
    apiMessage: apiMessage,
    markField: markField,
    clearFieldError: clearFieldError,
    clearErrors: clearErrors
  };
})();
