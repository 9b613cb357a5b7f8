// 信用查询: runs the page's form against the group's search API (docs/search.md).
// Progressive enhancement: without this script the form is a plain GET to this page.
// Data from the API reaches the page only through textContent and createElement.
// Hits are shown in the API's order, never re-sorted or filtered here, so the same
// question gives the same list on every site of the group.
(function () {
  "use strict";

  var form = document.getElementById("query-form");
  var statusBox = document.getElementById("query-status");
  var results = document.getElementById("query-results");
  var offlineTemplate = document.getElementById("query-offline");
  if (!form || !statusBox || !results || !window.fetch || !window.URLSearchParams) {
    return;
  }

  var MIN_QUERY = 2;
  var TIMEOUT_MS = 15000;
  var api = new URL(form.getAttribute("data-api"), window.location.href);
  var site = form.getAttribute("data-site");
  var input = form.elements.namedItem("q");
  var kindBoxes = Array.prototype.slice.call(form.querySelectorAll('input[name="kind"]'));
  var KINDS = kindBoxes.map(function (box) { return box.value; });
  var baseTitle = document.title;

  form.noValidate = true;  // our own messages, in the status line, instead of the browser's

  // -- State <-> URL -----------------------------------------------------------------

  function readState(search) {
    var params = new URLSearchParams(search);
    var page = parseInt(params.get("page") || "1", 10);
    var kinds = params.getAll("kind");
    return {
      q: (params.get("q") || "").trim(),
      scope: params.get("scope") === "all" ? "all" : "local",
      kinds: KINDS.filter(function (k) { return kinds.indexOf(k) !== -1; }),
      page: page > 0 ? page : 1,
      subject: (params.get("subject") || "").trim()
    };
  }

  function withState(state, changes) {
    var out = {q: state.q, scope: state.scope, kinds: state.kinds, page: state.page,
      subject: state.subject};
    Object.keys(changes).forEach(function (key) { out[key] = changes[key]; });
    return out;
  }

  /** The page URL's query string for a state ("?q=…&scope=…&kind=…&page=…"). */
  function pageSearch(state) {
    var params = new URLSearchParams();
    if (state.q) {
      params.append("q", state.q);
    }
    params.append("scope", state.scope);
    state.kinds.forEach(function (k) { params.append("kind", k); });
    if (state.page > 1) {
      params.append("page", String(state.page));
    }
    if (state.subject) {
      params.append("subject", state.subject);
    }
    return "?" + params.toString();
  }

  function fillForm(state) {
    input.value = state.q;
    input.removeAttribute("aria-invalid");
    form.querySelectorAll('input[name="scope"]').forEach(function (radio) {
      radio.checked = radio.value === state.scope;
    });
    kindBoxes.forEach(function (box) { box.checked = state.kinds.indexOf(box.value) !== -1; });
  }

  function formState() {
    var scope = form.querySelector('input[name="scope"]:checked');
    return {
      q: input.value.trim(),
      scope: scope && scope.value === "all" ? "all" : "local",
      kinds: kindBoxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }),
      page: 1,
      subject: ""
    };
  }

  // -- DOM helpers (site.js; no innerHTML) --------------------------------------------

  var el = window.sitegroupDom.el;
  var append = window.sitegroupDom.append;
  var clear = window.sitegroupDom.clear;

  /** Replace the announced status line; ``tone``: info | empty | error | offline. */
  function setStatus(tone, content) {
    clear(statusBox);
    if (content) {
      statusBox.appendChild(el("div", {className: "query-message query-message--" + tone}, content));
    }
  }

  function setResults(content) {
    clear(results);
    results.removeAttribute("aria-busy");
    append(results, content);
  }

  /** A link to another state of this page; clicks are handled without reloading. */
  function stateLink(state, text, attrs) {
    var a = el("a", attrs || {}, text);
    a.href = pageSearch(state);
    a.setAttribute("data-state", "");
    return a;
  }

  function quoted(q) {
    return "“" + q + "”";
  }

  // -- Talking to the API -------------------------------------------------------------

  var sequence = 0;
  var inFlight = null;

  /**
   * GET a JSON document. Resolves to {status, body}; {offline: true} when the service
   * cannot answer (network error, timeout, 5xx, or no JSON: no API behind this URL);
   * {stale: true} when a newer request replaced this one.
   */
  function getJSON(url) {
    if (inFlight) {
      inFlight.abort();
    }
    var controller = window.AbortController ? new AbortController() : null;
    inFlight = controller;
    var timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);
    var mine = ++sequence;
    return window.fetch(url.toString(), {
      headers: {Accept: "application/json"},
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (response.status >= 500) {
        return {offline: true};
      }
      return response.json().then(function (body) {
        return {status: response.status, body: body};
      }, function () {
        return {offline: true};
      });
    }, function () {
      return {offline: true};  // network error or timeout (or superseded: dropped below)
    }).then(function (answer) {
      window.clearTimeout(timer);
      if (mine !== sequence) {
        return {stale: true};
      }
      inFlight = null;
      return answer;
    });
  }

  function apiURL(path, params) {
    var url = new URL(path, api);
    params.forEach(function (pair) { url.searchParams.append(pair[0], pair[1]); });
    return url;
  }

  function showOffline() {
    setStatus("offline", offlineTemplate && offlineTemplate.content
      ? offlineTemplate.content.cloneNode(true)
      : el("p", {text: "查询服务暂时无法访问，请稍后再试。公示栏目页面仍可正常浏览。"}));
    setResults(null);
  }

  function showError(answer, fallback) {
    var error = answer.body && answer.body.error;
    var message = error && typeof error.message === "string" ? error.message : fallback;
    setStatus("error", el("p", {text: message}));
    setResults(null);
    if (error && error.field === "q") {
      input.setAttribute("aria-invalid", "true");
    }
  }

  function loading(message) {
    setStatus("info", el("p", {text: message}));
    results.setAttribute("aria-busy", "true");
  }

  // -- Search -------------------------------------------------------------------------

  function tooShort() {
    input.setAttribute("aria-invalid", "true");
    setStatus("error", el("p", {
      text: "查询内容太短：请至少输入两个字符。可按主体名称的任意两个以上汉字、" +
        "18位统一社会信用代码或决定文书号查询。"
    }));
    setResults(null);
  }

  function runSearch(state, focus) {
    document.title = quoted(state.q) + "的查询结果 - " + baseTitle;
    if (state.q.length < MIN_QUERY) {
      tooShort();
      return;
    }
    loading("正在查询…");
    var params = [["q", state.q], ["site", site], ["scope", state.scope]];
    state.kinds.forEach(function (k) { params.push(["kind", k]); });
    if (state.page > 1) {
      params.push(["page", String(state.page)]);
    }
    getJSON(apiURL("search", params)).then(function (answer) {
      if (answer.stale) {
        return;
      }
      if (answer.offline) {
        showOffline();
      } else if (answer.status === 200 && answer.body && Array.isArray(answer.body.hits)) {
        showResults(state, answer.body, focus);
      } else {
        showError(answer, "查询失败，请检查查询内容后重试。");
      }
    });
  }

  function scopeName(data) {
    return data.scope_region && data.scope_region.name ? data.scope_region.name : "全国";
  }

  function showResults(state, data, focus) {
    var where = "在" + scopeName(data) + "范围内";
    if (!data.total) {
      var hint = null;
      if (state.kinds.length) {
        hint = [" ", stateLink(withState(state, {kinds: [], page: 1}), "查询全部信息类别")];
      } else if (state.scope === "local" && data.scope_region) {
        hint = [" ", stateLink(withState(state, {scope: "all", page: 1}), "改为在全国范围查询")];
      }
      setStatus("empty", el("p", {}, "没有找到" + where + "与" + quoted(state.q) + "相关的信用信息。", hint));
    } else if (!data.hits.length) {
      setStatus("empty", el("p", {}, "第 " + data.page + " 页没有结果：共 " + data.total + " 条，" +
        data.pages + " 页。 ", stateLink(withState(state, {page: 1}), "回到第 1 页")));
    } else {
      setStatus("info", el("p", {}, where + "找到与" + quoted(state.q) + "相关的信用信息 " +
        data.total + " 条" + (data.pages > 1 ? "，当前第 " + data.page + " / " + data.pages + " 页" : "") +
        "。"));
    }
    var counts = (data.facets && data.facets.kind) || [];
    if (!counts.some(function (f) { return f.count > 0; })) {
      setResults(null);  // nothing in any kind: the status line says it all
      return;
    }
    var heading = el("h2", {id: "query-results-title", className: "query-results__title",
      tabindex: "-1", text: "查询结果"});
    var list = el("ol", {className: "hits", start: String((data.page - 1) * data.size + 1)},
      data.hits.map(function (hit) { return hitItem(state, hit); }));
    setResults([heading, facets(state, counts), data.hits.length ? list : null, pager(state, data)]);
    if (focus) {
      heading.focus();
    }
  }

  function facets(state, counts) {
    var all = counts.reduce(function (sum, f) { return sum + f.count; }, 0);
    var items = [facetItem(withState(state, {kinds: [], page: 1}), "全部", all, !state.kinds.length)];
    counts.forEach(function (f) {
      var active = state.kinds.length === 1 && state.kinds[0] === f.kind;
      items.push(facetItem(withState(state, {kinds: [f.kind], page: 1}), f.label, f.count, active));
    });
    return el("nav", {className: "facets", "aria-label": "按信息类别筛选"},
      el("ul", {className: "facets__list"}, items));
  }

  function facetItem(target, label, count, active) {
    var text = [label, el("span", {className: "facets__count", text: "（" + count + "）"})];
    if (active) {
      return el("li", {}, el("span", {className: "facets__item is-active", "aria-current": "true"}, text));
    }
    if (!count) {
      return el("li", {}, el("span", {className: "facets__item is-empty"}, text));
    }
    return el("li", {}, stateLink(target, text, {className: "facets__item"}));
  }

  function pager(state, data) {
    if (!data.hits.length) {
      return null;
    }
    var links = [];
    if (data.page > 1 && data.page <= data.pages) {
      links.push(el("li", {}, stateLink(withState(state, {page: data.page - 1}), "上一页", {rel: "prev"})));
    }
    if (data.page < data.pages) {
      links.push(el("li", {}, stateLink(withState(state, {page: data.page + 1}), "下一页", {rel: "next"})));
    }
    var capped = data.pages * data.size < data.total
      ? el("p", {className: "pagination__info", text: "仅显示前 " + data.pages + " 页，请输入更完整的名称或选择信息类别缩小范围。"})
      : null;
    return el("nav", {className: "pagination query-pager", "aria-label": "查询结果分页"},
      links.length ? el("ul", {}, links) : null,
      el("p", {className: "pagination__info", text: "第 " + data.page + " / " + data.pages + " 页，共 " + data.total + " 条"}),
      capped);
  }

  var MATTER = {
    license: ["decision_name", "content"],
    penalty: ["penalty_category", "content"],
    redlist: ["list_name"],
    blacklist: ["list_name"]
  };

  function matter(record) {
    var fields = record.fields || {};
    var keys = MATTER[record.kind] || [];
    for (var i = 0; i < keys.length; i++) {
      if (fields[keys[i]]) {
        return fields[keys[i]];
      }
    }
    return "";
  }

  function meta(rows) {
    return el("dl", {className: "hit__meta"}, rows.filter(function (row) {
      return row[1];
    }).map(function (row) {
      return el("div", {}, el("dt", {text: row[0]}), el("dd", {}, row[1]));
    }));
  }

  function day(value) {
    return value ? el("time", {datetime: value, text: value}) : null;
  }

  function hitItem(state, hit) {
    var person = hit.subject_type === "自然人";
    var title = el("h3", {className: "hit__title"},
      el("span", {className: "badge badge--kind badge--" + hit.kind, text: hit.kind_label}), " ",
      el("span", {className: "hit__name", text: hit.subject_name}),
      person ? el("span", {className: "record__type", text: "（自然人）"}) : null);
    var action = null;
    if (hit.subject_code) {
      action = el("p", {className: "hit__action"},
        stateLink(withState(state, {subject: hit.subject_code}),
          ["查看主体信用信息", el("span", {className: "visually-hidden", text: "：" + hit.subject_name})],
          {className: "hit__subject"}));
    } else if (person && hit.key) {
      // A natural person has no public code: the report is asked for by this record's key.
      action = reportAction(hit.key, hit.subject_name, true);
    }
    return el("li", {className: "hit", "data-key": hit.key}, title, meta([
      ["统一社会信用代码", hit.subject_code],
      ["决定文书号", el("span", {className: "hit__docno", text: hit.document_no})],
      ["事项", matter(hit)],
      ["决定日期", day(hit.decided_on)],
      ["决定机关", hit.authority],
      ["所属地区", hit.region_name]
    ]), action);
  }

  // -- Subject view ---------------------------------------------------------------------

  function runSubject(state, focus) {
    document.title = "主体信用信息 - " + baseTitle;
    loading("正在查询主体信用信息…");
    getJSON(apiURL("subjects/" + encodeURIComponent(state.subject), [])).then(function (answer) {
      if (answer.stale) {
        return;
      }
      if (answer.offline) {
        showOffline();
      } else if (answer.status === 200 && answer.body && answer.body.subject) {
        showSubject(state, answer.body, focus);
      } else {
        showError(answer, "没有找到该主体的信用信息。");
        setResults(backLink(state));
      }
    });
  }

  function backLink(state) {
    var target = withState(state, {subject: ""});
    return el("p", {className: "query-back"},
      state.q ? stateLink(target, "‹ 返回查询结果") : el("a", {href: form.getAttribute("action")}, "‹ 重新查询"));
  }

  function showSubject(state, data, focus) {
    var subject = data.subject;
    document.title = subject.name + " - 主体信用信息 - " + baseTitle;
    setStatus("info", el("p", {}, quoted(subject.name) + "共有公示的信用信息 " + data.total + " 条。"));
    var heading = el("h2", {id: "query-subject-title", className: "subject__title", tabindex: "-1"},
      subject.name);
    var counts = (data.counts || []).map(function (c) {
      return el("li", {}, c.label + " ", el("strong", {text: String(c.count)}), " 条");
    });
    var sections = (data.counts || []).map(function (c) {
      var records = (data.records && data.records[c.kind]) || [];
      var id = "subject-kind-" + c.kind;
      return el("section", {className: "subject__kind", "aria-labelledby": id},
        el("h3", {id: id}, c.label + "（" + c.count + " 条）"),
        records.length
          ? el("ol", {className: "hits hits--subject"}, records.map(subjectRecord))
          : el("p", {className: "list__empty", text: "暂无公示信息。"}));
    });
    setResults([
      backLink(state),
      el("article", {className: "subject", "aria-labelledby": "query-subject-title"},
        heading,
        meta([
          ["统一社会信用代码", subject.code],
          ["主体类别", subject.type],
          ["所属地区", subject.region_name]
        ]),
        subject.code ? reportAction(subject.code, subject.name, false) : null,
        el("ul", {className: "subject__counts inline-list", "aria-label": "各类信用信息条数"}, counts),
        sections)
    ]);
    if (focus) {
      heading.focus();
    }
  }

  function subjectRecord(record) {
    return el("li", {className: "hit", "data-key": record.key},
      el("p", {className: "hit__title hit__title--record"},
        el("span", {className: "hit__docno", text: record.document_no})),
      meta([
        ["事项", matter(record)],
        ["决定日期", day(record.decided_on)],
        ["决定机关", record.authority],
        ["所属地区", record.region_name]
      ]));
  }

  // -- Credit reports ---------------------------------------------------------------------
  // GET {api}reports/{code}?site=… issues a PDF 信用信息报告 (docs/reports.md); the page
  // saves it under the number the API gives and links the 核验 page for that number.

  var REPORT_TIMEOUT_MS = 60000;
  var REPORT_FALLBACK = {
    404: "没有找到该主体的信用信息，无法出具信用报告。",
    422: "主体代码格式不正确，无法出具信用报告。",
    429: "下载过于频繁，请稍后再试。"
  };

  /** The 信用报告核验 page of this site (the form's data-verify, set by the template). */
  function verifyPage() {
    return new URL(form.getAttribute("data-verify"), window.location.href);
  }

  /** fetch a report; resolves to {blob, number} on success, else {status, body} or {offline}. */
  function fetchReport(code) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, REPORT_TIMEOUT_MS);
    var url = apiURL("reports/" + encodeURIComponent(code), [["site", site]]);
    return window.fetch(url.toString(), {
      headers: {Accept: "application/pdf, application/json;q=0.9"},
      credentials: "omit",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.status === 200 && type.indexOf("application/pdf") === 0) {
        return response.blob().then(function (blob) {
          return {blob: blob, number: response.headers.get("X-Report-No") || ""};
        });
      }
      return response.json().then(function (body) {
        return {status: response.status, body: body};
      }, function () {
        return {status: response.status, body: null};
      });
    }).catch(function () {
      return {offline: true};  // network error, timeout, or the body broke off
    }).then(function (answer) {
      window.clearTimeout(timer);
      return answer;
    });
  }

  function reportMessage(answer) {
    return window.sitegroupDom.apiMessage(answer, {
      offline: "无法连接信用报告服务，请检查网络后重试。",
      unavailable: ["信用报告服务暂时不可用", "，请稍后再试。"],
      failed: ["信用报告下载未成功", "，请稍后再试。"],
      fallback: REPORT_FALLBACK
    });
  }

  /** "信用信息报告-BG2026112400000001.pdf" (only the number's letters and digits). */
  function reportFileName(number) {
    var safe = String(number || "").replace(/[^0-9A-Za-z_-]/g, "");
    return "信用信息报告" + (safe ? "-" + safe : "") + ".pdf";
  }

  function save(href, fileName) {
    var a = el("a", {href: href, download: fileName, hidden: ""});
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
  }

  /**
   * A 信用报告 button for the subject ``code`` (a 统一社会信用代码, or a natural person's record
   * key) with its own status line; ``small`` for the one on a hit of the result list.
   */
  function reportAction(code, name, small) {
    var label = small ? "信用报告" : "下载信用报告（PDF）";
    var button = el("button", {type: "button", className: "report-action__button"}, label,
      small ? el("span", {className: "visually-hidden", text: "：" + name}) : null);
    var status = el("span", {className: "report-action__status", role: "status"});
    var saved = null;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.className = "report-action__status";
      status.textContent = "正在生成信用信息报告…";
      fetchReport(code).then(function (answer) {
        button.disabled = false;
        clear(status);
        if (!answer.blob) {
          status.className = "report-action__status is-error";
          status.textContent = reportMessage(answer);
          return;
        }
        if (saved) {
          window.URL.revokeObjectURL(saved);
        }
        saved = window.URL.createObjectURL(answer.blob);
        var fileName = reportFileName(answer.number);
        save(saved, fileName);
        var check = verifyPage();
        if (answer.number) {
          check.searchParams.set("no", answer.number);
        }
        append(status, [
          answer.number
            ? ["已下载信用信息报告，报告编号 ", el("strong", {className: "report-action__no", text: answer.number}), "。"]
            : "已下载信用信息报告。",
          " ",
          el("a", {href: saved, download: fileName, text: "再次保存"}),
          " ",
          el("a", {href: check.href, text: "核验报告真伪"})
        ]);
      });
    });
    return el("p", {className: "report-action" + (small ? " report-action--small" : "")}, button, status);
  }

  // -- Navigation -----------------------------------------------------------------------

  var shown = null;

  function render(state, focus) {
    shown = pageSearch(state);
    fillForm(state);
    if (state.subject) {
      runSubject(state, focus);
    } else if (state.q) {
      runSearch(state, focus);
    } else {
      document.title = baseTitle;
      setStatus("info", null);
      setResults(null);
    }
  }

  function go(state, focus) {
    var search = pageSearch(state);
    if (search !== window.location.search) {
      window.history.pushState(null, "", search);
    }
    render(state, focus);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var state = formState();
    if (state.q.length < MIN_QUERY) {
      tooShort();
      input.focus();
      return;
    }
    go(state, false);
  });

  function followStateLinks(event) {
    var link = event.target.closest ? event.target.closest("a[data-state]") : null;
    if (!link || event.defaultPrevented || event.button !== 0 ||
        event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    go(readState(link.search), true);
  }

  results.addEventListener("click", followStateLinks);
  statusBox.addEventListener("click", followStateLinks);

  window.addEventListener("popstate", function () {
    if (pageSearch(readState(window.location.search)) !== shown) {
      render(readState(window.location.search), false);
    }
  });

  // A link from elsewhere (the masthead search sends only ?q=…) runs on arrival.
  var initial = readState(window.location.search);
  if (initial.q || initial.subject) {
    window.history.replaceState(null, "", pageSearch(initial));
    render(initial, false);
  }
})();
