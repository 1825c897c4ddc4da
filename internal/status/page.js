"use strict";
// Keeps the status table up to date by polling /status. The page works
// without it; the formats below match format.go.
(function () {
  const dash = "–";
  const interval = Number(document.body.dataset.interval) || 1000;
  const rows = new Map();
  for (const tr of document.querySelectorAll("#routes tr[data-route]")) {
    rows.set(tr.dataset.route, tr);
  }
  const $ = (id) => document.getElementById(id);

  function count(n) {
    return Math.max(0, Math.round(n)).toLocaleString("en-US");
  }
  function rate(v) {
    return v < 10 ? v.toFixed(1) + "/s" : count(v) + "/s";
  }
  function seconds(v) {
    if (v < 1e-3) return (v * 1e6).toFixed(0) + "µs";
    if (v < 10e-3) return (v * 1e3).toFixed(2) + "ms";
    if (v < 100e-3) return (v * 1e3).toFixed(1) + "ms";
    if (v < 1) return (v * 1e3).toFixed(0) + "ms";
    return v.toFixed(2) + "s";
  }
  function clock(iso) {
    return new Date(iso).toISOString().slice(11, 19);
  }
  function uptime(s) {
    if (!s.started) return "";
    const sec = Math.max(0, Math.floor((Date.parse(s.time) - Date.parse(s.started)) / 1000));
    const d = Math.floor(sec / 86400), h = Math.floor(sec / 3600) % 24, m = Math.floor(sec / 60) % 60;
    if (d > 0) return "up " + d + "d " + h + "h";
    if (h > 0) return "up " + h + "h " + m + "m";
    if (m > 0) return "up " + m + "m " + (sec % 60) + "s";
    return "up " + sec + "s";
  }
  function set(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }
  function cell(tag, text, cls) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) el.className = cls;
    return el;
  }

  function updateRoute(tr, r) {
    for (const k of ["in", "out", "filtered", "failed", "dropped"]) {
      set(tr.querySelector('[data-rate="' + k + '"]'), r.rates ? rate(r.rates[k]) : dash);
      set(tr.querySelector('[data-total="' + k + '"]'), count(r.totals[k]));
    }
    const b = r.buffer;
    set(tr.querySelector('[data-field="buffer"]'), b ? count(b.depth) + " / " + count(b.capacity) : dash);
    const fill = tr.querySelector('[data-field="fill"]');
    if (fill) {
      fill.max = b ? b.capacity : 1;
      fill.value = b ? b.depth : 0;
    }
    set(tr.querySelector('[data-field="pending"]'), r.pending == null ? dash : count(r.pending));
    set(tr.querySelector('[data-field="p50"]'), r.latency_seconds ? seconds(r.latency_seconds.p50) : dash);
    set(tr.querySelector('[data-field="p99"]'), r.latency_seconds ? seconds(r.latency_seconds.p99) : dash);
  }

  function updateFailures(s) {
    const all = [];
    for (const r of s.routes) {
      for (const f of r.failures) all.push({ route: r.name, f: f });
    }
    all.sort((a, b) => Date.parse(b.f.time) - Date.parse(a.f.time));
    const body = document.createElement("tbody");
    for (const { route, f } of all) {
      const tr = document.createElement("tr");
      const subject = cell("td", "");
      subject.append(cell("code", f.subject));
      tr.append(cell("td", clock(f.time)), cell("td", route), cell("td", f.reason), subject, cell("td", f.error, "error"));
      body.append(tr);
    }
    if (all.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "none";
      const td = cell("td", "None so far.");
      td.colSpan = 5;
      tr.append(td);
      body.append(tr);
    }
    const old = document.querySelector("#failures tbody");
    // Replace only on change, so that a selection in the table survives.
    if (old.innerHTML !== body.innerHTML) old.replaceWith(body);
  }

  function updateConnections(s) {
    const list = document.createElement("ul");
    list.id = "connections";
    for (const c of s.connections) {
      list.append(cell("li", (c.name || "NATS") + ": " + (c.connected ? "connected" : "disconnected"), c.connected ? "up" : "down"));
    }
    const old = $("connections");
    if (old.innerHTML !== list.innerHTML) old.replaceWith(list);
  }

  function update(s) {
    for (const r of s.routes) {
      const tr = rows.get(r.name);
      if (tr) updateRoute(tr, r);
    }
    updateFailures(s);
    updateConnections(s);
    set($("version"), s.version || "");
    set($("uptime"), uptime(s));
    set($("window"), s.window_seconds > 0 ? s.window_seconds.toFixed(0) + " s" : "few seconds");
    const err = $("error");
    set(err, s.error || "");
    err.hidden = !s.error;
    const updated = $("updated");
    set(updated, "live, " + clock(s.time) + " UTC");
    updated.classList.remove("stale");
  }

  async function poll() {
    try {
      const res = await fetch("status", { cache: "no-store", headers: { Accept: "application/json" } });
      if (!res.ok) throw new Error("HTTP " + res.status);
      update(await res.json());
    } catch (e) {
      const updated = $("updated");
      set(updated, "not updating (" + e.message + ")");
      updated.classList.add("stale");
    } finally {
      setTimeout(poll, interval);
    }
  }
  poll();
})();
