// 异议投诉: sends the page's two forms to the group's case API and shows the progress of a
// case by its number and query code (docs/cases.md).
// Progressive enhancement: without this script each form posts straight to the API.
// Every value from the API or the submitter reaches the page only through textContent and
// createElement, never as markup: HTML or script typed into a field shows as text.
(function () {
  "use strict";

  var root = document.getElementById("cases");
  if (!root || !window.fetch || !window.URL || !window.URLSearchParams || !window.FormData) {
    return;
  }

  var api = new URL(root.getAttribute("data-api") || "/api/", window.location.href);
  var pageURL = root.getAttribute("data-page") || window.location.pathname;
  var TIMEOUT_MS = 30000;
  var MAX_FILES = 3;
  var MAX_FILE_BYTES = 5 * 1024 * 1024;
  var FILE_TYPES = /\.(pdf|jpe?g|png)$/i;
  var STEPS = [
    ["received", "已受理"],
    ["dispatched", "已分派"],
    ["in_progress", "办理中"],
    ["concluded", "已办结"],
    ["answered", "已反馈"]
  ];
  var KIND_NAMES = {objection: "异议", complaint: "投诉"};

  // -- DOM helpers (site.js; no innerHTML) --------------------------------------------

  var el = window.sitegroupDom.el;
  var append = window.sitegroupDom.append;
  var clear = window.sitegroupDom.clear;

  function text(value) {
    return typeof value === "string" || typeof value === "number" ? String(value) : "";
  }

  /** "2026-11-23T10:05:00+08:00" → "2026-11-23 10:05" (the API's times are Beijing time). */
  function when(value) {
    var raw = text(value);
    var m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(raw);
    return el("time", {datetime: raw || null, text: m ? m[1] + " " + m[2] : raw});
  }

  // -- Talking to the API -------------------------------------------------------------

  /** fetch with a timeout; resolves to {status, body} or {offline: true}. */
  function call(url, options) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);
    options.signal = controller ? controller.signal : undefined;
    options.credentials = "omit";
    options.headers = {Accept: "application/json"};
    return window.fetch(url.toString(), options).then(function (response) {
      return response.json().then(function (body) {
        return {status: response.status, body: body};
      }, function () {
        return {status: response.status, body: null};
      });
    }, function () {
      return {offline: true};
    }).then(function (answer) {
      window.clearTimeout(timer);
      return answer;
    });
  }

  var FALLBACK = {
    404: "没有找到：请核对后再试。",
    413: "提交内容过大：附件每个不超过 5 MB，最多 3 个。",
    415: "附件格式不支持：只接受 PDF、JPG 或 PNG 文件。",
    429: "提交过于频繁，请稍后再试。"
  };

  function apiMessage(answer) {
    return window.sitegroupDom.apiMessage(answer, {
      offline: "无法连接异议投诉服务，请检查网络后重试。已填写的内容仍保留在表单中。",
      unavailable: ["服务暂时不可用", "，请稍后再试。已填写的内容仍保留在表单中。"],
      failed: ["请求未成功", "，请稍后再试。"],
      fallback: FALLBACK
    });
  }

  /** An alert box in ``box``: the message, and optional list items under it. */
  function alertBox(box, message, items) {
    clear(box);
    box.appendChild(el("div", {className: "case-box case-box--error", role: "alert"},
      el("p", {text: message}),
      items && items.length ? el("ul", {}, items.map(function (t) { return el("li", {text: t}); })) : null));
  }

  // -- Field errors ---------------------------------------------------------------------

  var markField = window.sitegroupDom.markField;
  var clearFieldError = window.sitegroupDom.clearFieldError;


  /** The visible field of ``form`` for an API field name (not the hidden site/kind). */
  function fieldNamed(form, name) {
    var field = form.querySelector('[name="' + String(name).replace(/["\\]/g, "") + '"]');
    return field && field.type !== "hidden" ? field : null;
  }

  /** A 422's {field: message} (beside ``error``, or inside it), or null. */
  function problemsOf(body) {
    var problems = body.problems || (body.error && body.error.problems);
    return problems && typeof problems === "object" && Object.keys(problems).length ? problems : null;
  }

  /** Mark every problem on its field; the others go in the alert. Focus the first field. */
  function showProblems(form, box, problems, message) {
    var marked = [];
    var loose = [];
    Object.keys(problems).forEach(function (name) {
      var problem = text(problems[name]);
      var field = fieldNamed(form, name);
      if (field) {
        markField(field, problem);
        marked.push(field);
      } else {
        loose.push(problem);
      }
    });
    if (marked.length) {
      alertBox(box, "提交未成功：请按提示修改标出的 " + marked.length + " 处。", loose);
      marked[0].focus();
    } else {
      alertBox(box, message || "提交未成功，请检查后重试。", loose);
    }
  }

  // -- Submitting a case ----------------------------------------------------------------

  function chosenFiles(form) {
    var files = [];
    Array.prototype.forEach.call(form.querySelectorAll('input[type="file"]'), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
    });
    return files;
  }

  /** What the API would refuse about the chosen files, said before sending them. */
  function fileProblem(files) {
    if (files.length > MAX_FILES) {
      return "附件最多 " + MAX_FILES + " 个文件，已选择 " + files.length + " 个";
    }
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      if (!FILE_TYPES.test(f.name)) {
        return "附件“" + f.name + "”不是 PDF、JPG 或 PNG 文件";
      }
      if (f.size === 0) {
        return "附件“" + f.name + "”是空文件";
      }
      if (f.size > MAX_FILE_BYTES) {
        return "附件“" + f.name + "”过大：每个文件最多 5 MB，实际 " +
          (f.size / 1024 / 1024).toFixed(1) + " MB";
      }
    }
    return "";
  }

  /** The form as the API reads it: urlencoded without files, multipart with them. */
  function payload(form, files) {
    if (files.length) {
      return new FormData(form);
    }
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name && !field.disabled && field.type !== "file" && field.type !== "submit") {
        params.append(field.name, field.value);
      }
    });
    return params;
  }

  function copyText(value) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(value);
    }
    return new Promise(function (resolve, reject) {
      var area = el("textarea", {className: "visually-hidden", readonly: "", "aria-hidden": "true"});
      area.value = value;
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      (ok ? resolve : reject)();
    });
  }

  /** The files the API accepted with the case, if it lists them. */
  function attachmentList(files) {
    if (!Array.isArray(files) || !files.length) {
      return null;
    }
    return el("p", {className: "case-box__files"}, "已收到附件：" + files.map(function (f) {
      var size = f && typeof f.size === "number" ? "（" + Math.max(1, Math.round(f.size / 1024)) + " KB）" : "";
      return text(f && f.name) + size;
    }).join("、"));
  }

  function successBox(box, data) {
    var number = text(data.number);
    var code = text(data.code);
    var handler = data.handler && text(data.handler.name);
    var link = el("a", {href: pageURL + "?case_no=" + encodeURIComponent(number) + "#track",
      text: "查询本件办理进度"});
    var copy = el("button", {type: "button", className: "case-copy", text: "复制编号和查询码"});
    var copied = el("span", {className: "case-copy__done", "aria-live": "polite"});
    copy.addEventListener("click", function () {
      copyText("受理编号：" + number + "  查询码：" + code).then(function () {
        copied.textContent = "已复制";
      }, function () {
        copied.textContent = "无法自动复制，请手工记下";
      });
    });
    var status = el("div", {className: "case-box case-box--ok", role: "status", tabindex: "-1"},
      el("p", {className: "case-box__title"},
        "已受理" + (handler ? "，分派至" + handler + "办理。" : "。")),
      el("dl", {className: "case-keys"},
        el("div", {}, el("dt", {text: "受理编号"}), el("dd", {className: "case-keys__no", text: number})),
        el("div", {}, el("dt", {text: "查询码"}), el("dd", {className: "case-keys__code", text: code}))),
      attachmentList(data.attachments),
      el("p", {className: "case-copy__row"}, copy, copied),
      el("p", {text: "请记下受理编号和查询码：查询码只显示这一次，丢失后无法找回。在任一信用中国网站的" +
        "异议投诉页面，凭受理编号和查询码均可查询办理进度和结果。"}),
      el("p", {}, link));
    clear(box);
    box.appendChild(status);
    status.focus();
  }

  function submitCase(form) {
    var box = form.querySelector(".case-feedback");
    var button = form.querySelector('button[type="submit"]');
    var files = chosenFiles(form);
    window.sitegroupDom.clearErrors(form);
    clear(box);
    var problem = fileProblem(files);
    if (problem) {
      var input = form.querySelector('input[type="file"]');
      markField(input, problem);
      alertBox(box, "提交未成功：" + problem + "。");
      input.focus();
      return;
    }
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    var label = button.textContent;
    button.textContent = "正在提交…";
    call(new URL("cases", api), {method: "POST", body: payload(form, files)}).then(function (answer) {
      button.disabled = false;
      button.textContent = label;
      form.removeAttribute("aria-busy");
      var body = answer.body || {};
      if (answer.status === 201 && body.number && body.code) {
        form.reset();
        var trackNo = document.getElementById("t-no");
        if (trackNo && !trackNo.value) {
          trackNo.value = text(body.number);
        }
        successBox(box, body);
      } else if (answer.status === 422 && problemsOf(body)) {
        showProblems(form, box, problemsOf(body), body.error && body.error.message);
      } else {
        var field = body.error && body.error.field ? fieldNamed(form, body.error.field) : null;
        if (field) {
          markField(field, apiMessage(answer));
        }
        alertBox(box, apiMessage(answer));
      }
    });
  }

  Array.prototype.forEach.call(root.querySelectorAll("form.case-form"), function (form) {
    form.noValidate = true;  // the API's messages, under each field, instead of the browser's
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submitCase(form);
    });
    form.addEventListener("input", function (event) {
      if (event.target.getAttribute && event.target.getAttribute("aria-invalid")) {
        clearFieldError(event.target);
      }
    });
  });

  // -- Following a case -----------------------------------------------------------------

  var track = document.getElementById("track-form");
  var trackBox = document.getElementById("track-feedback");
  var result = document.getElementById("track-result");

  function stepList(status) {
    var current = -1;
    STEPS.forEach(function (step, i) {
      if (step[0] === status) {
        current = i;
      }
    });
    return el("ol", {className: "case-steps", "aria-label": "办理环节"}, STEPS.map(function (step, i) {
      var state = i < current ? "is-done" : (i === current ? "is-current" : "");
      return el("li", {className: state || null, "aria-current": i === current ? "step" : null},
        el("span", {className: "case-steps__mark", "aria-hidden": "true", text: String(i + 1)}),
        el("span", {className: "case-steps__label", text: step[1]}),
        state ? el("span", {className: "visually-hidden",
          text: state === "is-done" ? "（已完成）" : "（当前环节）"}) : null);
    }));
  }

  function rows(pairs) {
    return el("dl", {className: "case-facts"}, pairs.filter(function (p) {
      return p[1];
    }).map(function (p) {
      return el("div", {}, el("dt", {text: p[0]}), el("dd", {}, p[1]));
    }));
  }

  /** What was done, when it says more than the state (e.g. 转办 while still 已分派). */
  function historyAction(h) {
    var action = text(h.action_label);
    if (!action || action === text(h.status_label)) {
      return null;
    }
    return el("span", {className: "case-history__action", text: action});
  }

  function showCase(data) {
    var number = text(data.number);
    var kind = text(data.kind_label) || KIND_NAMES[data.kind] || "";
    var heading = el("h3", {className: "case-progress__title", id: "track-title", tabindex: "-1"},
      "受理编号 ", el("span", {className: "case-keys__no", text: number}));
    var statusLabel = text(data.status_label) || text(data.status);
    var outcome = text(data.result_label) || text(data.result);
    var reply = text(data.reply);
    var history = Array.isArray(data.history) ? data.history : [];
    var parts = [
      heading,
      el("p", {className: "case-progress__status"}, "当前状态：",
        el("strong", {className: "case-status", text: statusLabel})),
      stepList(text(data.status)),
      rows([
        ["类别", kind],
        ["当前状态", statusLabel],
        ["办理单位", data.handler ? text(data.handler.name) : ""],
        ["主体名称", text(data.subject_name)],
        ["受理时间", data.received_at ? when(data.received_at) : ""],
        ["更新时间", data.updated_at ? when(data.updated_at) : ""],
        ["办理期限", text(data.due_on) && !outcome ? el("time", {datetime: text(data.due_on),
          text: text(data.due_on) + " 前办结"}) : ""],
        ["办理结果", outcome]
      ])
    ];
    if (reply) {
      parts.push(el("section", {className: "case-reply", "aria-labelledby": "track-reply"},
        el("h4", {id: "track-reply", text: "答复意见"}),
        el("p", {className: "case-reply__text", text: reply})));
    }
    parts.push(el("section", {className: "case-history-wrap", "aria-labelledby": "track-history"},
      el("h4", {id: "track-history", text: "办理记录"}),
      history.length
        ? el("ol", {className: "case-history"}, history.map(function (h) {
          return el("li", {},
            el("p", {className: "case-history__head"}, when(h.at), " ",
              el("strong", {text: text(h.status_label) || text(h.status)}),
              historyAction(h)),
            text(h.comment) ? el("p", {className: "case-history__comment", text: text(h.comment)}) : null);
        }))
        : el("p", {className: "list__empty", text: "暂无办理记录。"})));
    clear(result);
    append(result, el("article", {className: "case-progress__card", "aria-labelledby": "track-title"}, parts));
    heading.focus();
  }

  function lookup() {
    var number = track.elements.namedItem("case_no");
    var code = track.elements.namedItem("code");
    window.sitegroupDom.clearErrors(track);
    clear(trackBox);
    number.value = number.value.trim();
    code.value = code.value.trim();
    var missing = [];
    if (!number.value) {
      markField(number, "请填写受理编号");
      missing.push(number);
    }
    if (!code.value) {
      markField(code, "请填写查询码");
      missing.push(code);
    }
    if (missing.length) {
      missing[0].focus();
      return;
    }
    var button = track.querySelector('button[type="submit"]');
    button.disabled = true;
    result.setAttribute("aria-busy", "true");
    var url = new URL("cases", api);
    url.searchParams.set("case_no", number.value);
    url.searchParams.set("code", code.value);
    call(url, {method: "GET", cache: "no-store"}).then(function (answer) {
      button.disabled = false;
      result.removeAttribute("aria-busy");
      if (answer.status === 200 && answer.body && answer.body.number) {
        showCase(answer.body);
        return;
      }
      clear(result);
      var error = answer.body && answer.body.error;
      var field = answer.status === 422 && error && error.field
        ? track.elements.namedItem(error.field) : null;
      if (field && field.id) {
        markField(field, apiMessage(answer));
        field.focus();
      }
      alertBox(trackBox, apiMessage(answer));
    });
  }

  if (track && trackBox && result) {
    track.noValidate = true;
    track.addEventListener("submit", function (event) {
      event.preventDefault();
      lookup();
    });
    track.addEventListener("input", function (event) {
      if (event.target.getAttribute && event.target.getAttribute("aria-invalid")) {
        clearFieldError(event.target);
      }
    });
  }

  // -- Arriving with a link ---------------------------------------------------------------
  // ?case_no=… fills the follow-up (the query code is never put in a URL);
  // ?record=…&subject_code=…&subject_name=… fills the objection about a published record.

  var params = new URLSearchParams(window.location.search);
  function prefill(formId, name, value) {
    var form = document.getElementById(formId);
    var field = form && form.elements.namedItem(name);
    if (field && value && !field.value) {
      field.value = value.slice(0, field.maxLength > 0 ? field.maxLength : 200);
    }
  }
  prefill("track-form", "case_no", params.get("case_no"));
  prefill("objection-form", "record", params.get("record"));
  prefill("objection-form", "subject_code", params.get("subject_code"));
  prefill("objection-form", "subject_name", params.get("subject_name"));
})();
