// 网站访问统计: fills the dashboard of stats.html from the group's API (docs/stats.md).
// Progressive enhancement: without this script the page still shows today's trend chart
// (an <img> drawn by the API). With it, the figures, the chart and the tables refresh
// every 5 seconds while the page is visible, and the period buttons switch the window.
// Data from the API reaches the page only through textContent and createElement.
(function () {
  "use strict";

  var root = document.getElementById("stats");
  if (!root || !window.fetch || !window.URL || !window.URLSearchParams) {
    return;
  }

  var REFRESH_MS = 5000;
  var TIMEOUT_MS = 10000;
  var api = new URL(root.getAttribute("data-api") || "/api/", window.location.href);
  var site = root.getAttribute("data-site") || "";
  var home = root.getAttribute("data-home") || "";
  var period = root.getAttribute("data-period") || "today";

  var chart = document.getElementById("stats-chart");
  var updated = document.getElementById("stats-updated") || document.createElement("p");
  var announce = document.getElementById("stats-announce");
  var group = root.querySelector(".stats-periods");
  var buttons = group ? Array.prototype.slice.call(group.querySelectorAll("button[data-period]")) : [];
  var scope = root.getAttribute("data-scope") || "";

  var inFlight = false;
  var failing = false;
  var lastOk = "";

  // -- Small DOM helpers (no innerHTML) ------------------------------------------------

  function byId(id) {
    return document.getElementById(id);
  }

  function setText(id, text) {
    var node = byId(id);
    if (node) {
      node.textContent = text;
    }
  }

  function cell(tag, text, className) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== null && text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function number(value) {
    return typeof value === "number" && isFinite(value) ? value.toLocaleString("zh-CN") : "—";
  }

  function say(message) {
    if (announce) {
      announce.textContent = message;
    }
  }

  function currentButton() {
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].getAttribute("data-period") === period) {
        return buttons[i];
      }
    }
    return null;
  }

  function periodLabel() {
    var button = currentButton();
    return button ? button.getAttribute("data-label") : "今日";
  }

  function periodUnit() {
    var button = currentButton();
    return button ? button.getAttribute("data-unit") : "小时";
  }

  function query(extra) {
    var params = new URLSearchParams();
    params.set("site", site);
    params.set("rollup", "1");
    params.set("period", period);
    Object.keys(extra || {}).forEach(function (key) { params.set(key, extra[key]); });
    return params.toString();
  }

  // -- Tables ---------------------------------------------------------------------------

  /** Replace a table's rows; ``build(item)`` returns the cells after the rank. */
  function fillTable(id, items, build) {
    var table = byId(id);
    var body = table && table.tBodies[0];
    if (!body) {
      return;
    }
    var columns = table.tHead ? table.tHead.rows[0].cells.length : 1;
    while (body.firstChild) {
      body.removeChild(body.firstChild);
    }
    if (!Array.isArray(items) || items.length === 0) {
      var empty = document.createElement("tr");
      empty.className = "stats-table__empty";
      var td = cell("td", "暂无数据");
      td.colSpan = columns;
      empty.appendChild(td);
      body.appendChild(empty);
      return;
    }
    items.forEach(function (item, index) {
      var row = document.createElement("tr");
      row.appendChild(cell("td", String(index + 1), "stats-table__rank"));
      build(item).forEach(function (node) { row.appendChild(node); });
      row.appendChild(cell("td", number(item.views), "stats-table__num"));
      body.appendChild(row);
    });
  }

  function siteCell(item) {
    return cell("td", String(item.name || item.site || ""), "stats-table__site");
  }

  function pageCell(item) {
    var path = String(item.path || "/");
    var td = cell("td", null, "stats-table__path");
    if (item.site === site && home && path.charAt(0) === "/") {
      // A page of this very site: link it (the API stores site-relative paths only).
      var a = cell("a", path);
      a.href = home + path.slice(1);
      td.appendChild(a);
    } else {
      td.appendChild(document.createTextNode(path));
    }
    // Shown on a phone only, where the 站点 column is folded away.
    td.appendChild(cell("span", String(item.name || item.site || ""), "stats-table__page-site"));
    return td;
  }

  function referrerCell(item) {
    var ref = String(item.ref || "");
    var td = cell("td", String(item.name || ref), "stats-table__site");
    if (ref.indexOf("site:") === 0) {
      td.appendChild(cell("span", "网站群站点", "stats-table__tag"));
    }
    return td;
  }

  // -- Showing an answer ----------------------------------------------------------------

  function clock(iso) {
    var m = /T(\d{2}:\d{2}:\d{2})/.exec(String(iso || ""));
    if (m) {
      return m[1];
    }
    var now = new Date();
    return [now.getHours(), now.getMinutes(), now.getSeconds()].map(function (n) {
      return (n < 10 ? "0" : "") + n;
    }).join(":");
  }

  function peakOf(series) {
    var peak = null;
    (Array.isArray(series) ? series : []).forEach(function (point) {
      if (point && typeof point.views === "number" && (!peak || point.views > peak.views)) {
        peak = point;
      }
    });
    return peak;
  }

  function describeChart(answer) {
    if (!chart) {
      return;
    }
    var text = scope + periodLabel() + "访问量趋势图（按" + periodUnit() + "）";
    var peak = peakOf(answer.series);
    if (peak && peak.views > 0) {
      text += "：合计 " + number(answer.total) + " 次，峰值 " + number(peak.views) +
        " 次（" + String(peak.label || "") + "）";
    } else {
      text += "：所选时段暂无访问";
    }
    chart.setAttribute("alt", text);
  }

  function refreshChart() {
    if (chart) {
      chart.src = new URL("stats/chart.svg?" + query({_: String(Date.now())}), api).toString();
    }
  }

  function show(answer) {
    var realtime = answer.realtime || {};
    setText("stats-last5", number(realtime.last_5_minutes));
    setText("stats-today", number(realtime.today));
    setText("stats-total", number(answer.total));
    if (typeof answer.sites === "number") {
      setText("stats-site-count", number(answer.sites));
    }
    fillTable("stats-sites", answer.top_sites, function (item) { return [siteCell(item)]; });
    fillTable("stats-pages", answer.top_pages, function (item) {
      var name = siteCell(item);
      name.className += " stats-table__col-site";
      return [name, pageCell(item)];
    });
    fillTable("stats-referrers", answer.top_referrers, function (item) {
      return [referrerCell(item)];
    });
    describeChart(answer);
    refreshChart();
    lastOk = clock(realtime.as_of);
    updated.textContent = "更新于 " + lastOk;
    updated.classList.remove("is-error");
    if (failing) {
      failing = false;
      say("统计数据已恢复更新");
    }
  }

  function fail(message) {
    updated.textContent = message + (lastOk ? "（上次更新于 " + lastOk + "）" : "");
    updated.classList.add("is-error");
    if (!failing) {
      failing = true;
      say(message);
    }
  }

  function showPeriod() {
    var label = periodLabel();
    setText("stats-total-period", "（" + label + "）");
    setText("stats-chart-caption", "访问量趋势：" + label + "，按" + periodUnit());
    setText("stats-sites-caption", "站点排行（" + label + "）");
    setText("stats-pages-caption", "热门页面（" + label + "）");
    // Referrers are counted per day: within the last hour they are today's.
    setText("stats-referrers-caption", "来源（" + (period === "1h" ? "今日" : label) + "）");
  }

  // -- Talking to the API ---------------------------------------------------------------

  function load() {
    if (inFlight) {
      return;
    }
    inFlight = true;
    var controller = window.AbortController ? new AbortController() : null;
    var timer = window.setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);
    var asked = period;
    window.fetch(new URL("stats?" + query(), api).toString(), {
      headers: {Accept: "application/json"},
      credentials: "omit",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      return response.json().then(function (body) {
        return {status: response.status, body: body};
      }, function () {
        return {status: response.status, body: null};
      });
    }).then(function (answer) {
      if (asked !== period) {
        return;  // the period changed meanwhile: its own request follows
      }
      var body = answer.body;
      if (answer.status === 200 && body && Array.isArray(body.series)) {
        show(body);
      } else if (body && body.error && typeof body.error.message === "string") {
        fail("统计数据暂时无法更新：" + body.error.message);
      } else {
        fail("统计服务暂时无法访问，稍后将自动重试");
      }
    }).catch(function () {
      fail("统计服务暂时无法访问，稍后将自动重试");
    }).then(function () {
      window.clearTimeout(timer);
      inFlight = false;
      if (asked !== period) {
        load();
      }
    });
  }

  function select(button) {
    var next = button.getAttribute("data-period");
    if (!next || next === period) {
      return;
    }
    period = next;
    root.setAttribute("data-period", period);
    buttons.forEach(function (b) {
      b.setAttribute("aria-pressed", b === button ? "true" : "false");
    });
    showPeriod();
    say("已切换到" + periodLabel());
    load();
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () { select(button); });
  });
  if (group) {
    group.hidden = false;
  }
  if (chart) {
    chart.addEventListener("error", function () {
      fail("趋势图暂时无法加载");
    });
  }

  window.setInterval(function () {
    if (!document.hidden) {
      load();
    }
  }, REFRESH_MS);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      load();
    }
  });

  showPeriod();
  updated.textContent = "正在加载统计数据…";
  load();
})();
