// 信用报告核验: checks a credit report by its number and verification code, or by its PDF
// file, against the group's report API (GET /reports/verify/{no}?code=…, POST /reports/verify).
// Progressive enhancement: without this script the upload form posts straight to the API.
// Every value from the API or the visitor reaches the page only through textContent and
// createElement (site.js), never as markup.
(function () {
  "use strict";

  var root = document.getElementById("verify");
  var codeForm = document.getElementById("verify-code-form");
  var fileForm = document.getElementById("verify-file-form");
  var statusBox = document.getElementById("verify-status");
  var result = document.getElementById("verify-result");
  if (!root || !codeForm || !fileForm || !statusBox || !result || !window.fetch ||
      !window.URL || !window.URLSearchParams || !window.FormData || !window.sitegroupDom) {
    return;
  }

  var api = new URL(root.getAttribute("data-api") || "/api/", window.location.href);
  var TIMEOUT_MS = 30000;
  var MAX_FILE_BYTES = 5 * 1024 * 1024;

  var el = window.sitegroupDom.el;
  var append = window.sitegroupDom.append;
  var clear = window.sitegroupDom.clear;

  function text(value) {
    return typeof value === "string" || typeof value === "number" ? String(value) : "";
  }

  // What each answer means to the visitor. ``tone`` picks the card's colour.
  var VERDICTS = {
    authentic: {
      tone: "ok",
      mark: "✓",
      title: "真实有效",
      advice: "该报告由信用中国网站群出具，文件内容与出具时一致。报告反映的是数据截止时间的信用信息；" +
        "如需最新信息，请重新查询或下载报告。"
    },
    altered: {
      tone: "bad",
      mark: "！",
      title: "内容被改动",
      advice: "该文件与登记的原报告不一致，内容在出具后被改动过，请勿采信。可向报告提供方索取原文件，" +
        "或凭报告编号和核验码核验。"
    },
    unknown: {
      tone: "warn",
      mark: "？",
      title: "无法核验",
      advice: "未能在信用中国网站群的报告登记中找到该文件对应的报告：它可能不是网站群出具的信用信息报告，" +
        "或文件已损坏。请上传从网站下载的报告原文件，或凭报告编号和核验码核验。"
    },
    not_found: {
      tone: "warn",
      mark: "？",
      title: "未找到",
      advice: "请核对报告上印制的报告编号和核验码后重试；核验码不区分大小写，短横线可省略。" +
        "仍无法核验的，该报告可能不是信用中国网站群出具的。"
    }
  };

  /** An ISO time as Beijing wall-clock time, "2026-11-24 10:05" (any offset is converted). */
  function beijing(value) {
    var raw = text(value);
    var m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(raw);
    if (!m) {
      return raw;
    }
    if (!m[3] || m[3] === "+08:00" || m[3] === "+0800") {
      return m[1] + " " + m[2];
    }
    var t = new Date(raw);
    if (isNaN(t.getTime())) {
      return raw;
    }
    var b = new Date(t.getTime() + 8 * 3600 * 1000);
    function two(n) {
      return (n < 10 ? "0" : "") + n;
    }
    return b.getUTCFullYear() + "-" + two(b.getUTCMonth() + 1) + "-" + two(b.getUTCDate()) +
      " " + two(b.getUTCHours()) + ":" + two(b.getUTCMinutes());
  }

  function when(value) {
    return text(value) ? el("time", {datetime: text(value), text: beijing(value)}) : "";
  }

  // -- Talking to the API -------------------------------------------------------------

  var sequence = 0;

  /** fetch with a timeout; resolves to {status, body}, {offline: true} or {stale: true}. */
  function call(url, options) {
    var mine = ++sequence;
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);
    options.signal = controller ? controller.signal : undefined;
    options.credentials = "omit";
    options.cache = "no-store";
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
      return mine === sequence ? answer : {stale: true};
    });
  }

  var FALLBACK = {
    404: "未找到该报告：请核对报告编号和核验码。",
    413: "文件过大：报告 PDF 文件不超过 5 MB。",
    415: "文件格式不支持：请上传 PDF 格式的信用信息报告。",
    422: "核验信息有误，请检查后重试。",
    429: "核验过于频繁，请稍后再试。"
  };

  function apiMessage(answer) {
    return window.sitegroupDom.apiMessage(answer, {
      offline: "无法连接信用报告核验服务，请检查网络后重试。",
      unavailable: ["核验服务暂时不可用", "，请稍后再试。"],
      failed: ["核验未成功", "，请稍后再试。"],
      fallback: FALLBACK
    });
  }

  // -- Status line, result card, field errors ----------------------------------------

  /**
   * Replace the announced status line; ``tone``: info | ok | bad | warn | error. A verdict's
   * line is for screen readers only: the card below shows the same words.
   */
  function setStatus(tone, message, unseen) {
    clear(statusBox);
    if (message) {
      statusBox.appendChild(el("p", {text: message,
        className: unseen ? "visually-hidden" : "verify-message verify-message--" + tone}));
    }
  }

  var markField = window.sitegroupDom.markField;
  var clearFieldError = window.sitegroupDom.clearFieldError;


  function facts(pairs) {
    var shown = pairs.filter(function (p) { return p[1]; });
    if (!shown.length) {
      return null;
    }
    return el("dl", {className: "verify-facts"}, shown.map(function (p) {
      return el("div", {}, el("dt", {text: p[0]}), el("dd", {}, p[1]));
    }));
  }

  /** The report's details as the API gives them (for a known report). */
  function details(data) {
    var subject = data.subject && typeof data.subject === "object" ? data.subject : {};
    var site = data.site && typeof data.site === "object" ? data.site : {};
    var person = text(subject.type) === "自然人";
    return facts([
      ["报告编号", text(data.report_no) ? el("span", {className: "verify-facts__no", text: text(data.report_no)}) : ""],
      ["主体名称", text(subject.name)],
      ["主体类别", text(subject.type)],
      [person ? "证件号码" : "统一社会信用代码", text(subject.code)],
      ["出具网站", text(site.name)],
      ["出具时间", when(data.issued_at)],
      ["数据截止时间", when(data.data_cutoff)]
    ]);
  }

  /** Show one verdict (``kind`` of VERDICTS) with the API's message and the details. */
  function showVerdict(kind, data, focus) {
    var verdict = VERDICTS[kind];
    var message = text(data && data.message);
    var heading = el("h2", {className: "verify-card__title", id: "verify-title", tabindex: "-1"},
      el("span", {className: "verify-card__mark", "aria-hidden": "true", text: verdict.mark}),
      "核验结果：",
      el("strong", {className: "verify-card__verdict", text: verdict.title}));
    var known = data && (data.report_no || data.subject);
    var card = el("article", {className: "verify-card verify-card--" + verdict.tone,
      "aria-labelledby": "verify-title", "data-status": kind},
      heading,
      message ? el("p", {className: "verify-card__message", text: message}) : null,
      known && kind === "altered" ? el("h3", {className: "verify-card__sub", text: "登记的原报告"}) : null,
      known ? details(data) : null,
      el("p", {className: "verify-card__advice", text: verdict.advice}));
    clear(result);
    result.removeAttribute("aria-busy");
    append(result, card);
    setStatus(verdict.tone, "核验结果：" + verdict.title + (message ? "。" + message : "。"), true);
    if (focus) {
      heading.focus();
    }
  }

  function showError(message) {
    clear(result);
    result.removeAttribute("aria-busy");
    setStatus("error", message);
  }

  function busy(form, on) {
    var button = form.querySelector('button[type="submit"]');
    button.disabled = on;
    if (on) {
      form.setAttribute("aria-busy", "true");
      result.setAttribute("aria-busy", "true");
      setStatus("info", "正在核验…");
    } else {
      form.removeAttribute("aria-busy");
    }
  }

  // -- By number and verification code --------------------------------------------------

  var noField = codeForm.elements.namedItem("no");
  var codeField = codeForm.elements.namedItem("code");
  var fileField = fileForm.elements.namedItem("file");
  // The API's field names (error.field of a 422) → the page's fields.
  var FIELDS = {report_no: noField, no: noField, code: codeField, file: fileField};

  function checkCode(focus) {
    window.sitegroupDom.clearErrors(root);
    noField.value = noField.value.replace(/\s+/g, "").toUpperCase();
    codeField.value = codeField.value.replace(/\s+/g, "").toUpperCase();
    var missing = [];
    if (!noField.value) {
      markField(noField, "请填写报告编号");
      missing.push(noField);
    }
    if (!codeField.value) {
      markField(codeField, "请填写核验码");
      missing.push(codeField);
    }
    if (missing.length) {
      showError("请填写报告编号和核验码。");
      missing[0].focus();
      return;
    }
    var url = new URL("reports/verify/" + encodeURIComponent(noField.value), api);
    url.searchParams.set("code", codeField.value);
    busy(codeForm, true);
    call(url, {method: "GET"}).then(function (answer) {
      if (answer.stale) {
        return;
      }
      busy(codeForm, false);
      var body = answer.body || {};
      if (answer.status === 200 && VERDICTS[body.status] && body.status !== "not_found") {
        showVerdict(body.status, body, focus);
      } else if (answer.status === 404) {
        showVerdict("not_found", {message: apiMessage(answer)}, focus);
      } else {
        refused(answer, null);
      }
    });
  }

  /** A refusal: mark the field it names (a 422's ``field``, else ``fallbackField``). */
  function refused(answer, fallbackField) {
    var message = apiMessage(answer);
    var error = answer.body && answer.body.error;
    var field = error && FIELDS[error.field];
    if (!field && fallbackField && [413, 415, 422].indexOf(answer.status) !== -1) {
      field = fallbackField;
    }
    showError(message);
    if (field) {
      markField(field, message);
      field.focus();
    }
  }

  codeForm.noValidate = true;  // our messages, under each field, instead of the browser's
  codeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    checkCode(true);
  });

  // -- By the report's PDF file -----------------------------------------------------------

  /** What the API would refuse about the chosen file, said before uploading it. */
  function fileProblem(file) {
    if (!file) {
      return "请选择要核验的报告 PDF 文件";
    }
    if (!/\.pdf$/i.test(file.name) && file.type !== "application/pdf") {
      return "文件“" + file.name + "”不是 PDF 文件：请上传 PDF 格式的信用信息报告";
    }
    if (file.size === 0) {
      return "文件“" + file.name + "”是空文件";
    }
    if (file.size > MAX_FILE_BYTES) {
      return "文件“" + file.name + "”过大：报告 PDF 文件不超过 5 MB，实际 " +
        (file.size / 1024 / 1024).toFixed(1) + " MB";
    }
    return "";
  }

  function checkFile() {
    window.sitegroupDom.clearErrors(root);
    var file = fileField.files && fileField.files[0];
    var problem = fileProblem(file);
    if (problem) {
      markField(fileField, problem);
      showError(problem + "。");
      fileField.focus();
      return;
    }
    var body = new FormData();
    body.append("file", file, file.name);
    busy(fileForm, true);
    call(new URL("reports/verify", api), {method: "POST", body: body}).then(function (answer) {
      if (answer.stale) {
        return;
      }
      busy(fileForm, false);
      var data = answer.body || {};
      if (answer.status === 200 && VERDICTS[data.status] && data.status !== "not_found") {
        showVerdict(data.status, data, true);
      } else {
        refused(answer, fileField);
      }
    });
  }

  fileForm.noValidate = true;
  fileForm.addEventListener("submit", function (event) {
    event.preventDefault();
    checkFile();
  });

  [codeForm, fileForm].forEach(function (form) {
    form.addEventListener("input", function (event) {
      if (event.target.getAttribute && event.target.getAttribute("aria-invalid")) {
        clearFieldError(event.target);
      }
    });
    form.addEventListener("change", function (event) {
      if (event.target.getAttribute && event.target.getAttribute("aria-invalid")) {
        clearFieldError(event.target);
      }
    });
  });

  // -- Arriving from a report's QR code: ?no=…&code=… checks at once ----------------------

  var params = new URLSearchParams(window.location.search);
  var arrivingNo = (params.get("no") || "").trim().slice(0, noField.maxLength);
  var arrivingCode = (params.get("code") || "").trim().slice(0, codeField.maxLength);
  if (arrivingNo) {
    noField.value = arrivingNo;
  }
  if (arrivingCode) {
    codeField.value = arrivingCode;
  }
  if (arrivingNo && arrivingCode) {
    checkCode(true);
  } else if (arrivingNo) {
    codeField.focus();
  }
})();
