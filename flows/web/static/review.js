// The review page's behaviour: line strips at a legible scale, zoom and pan remembered across
// passages (localStorage), original/preprocessed scan, focus on the first flagged line, per-flag
// decisions without losing typed text, keyboard shortcuts, the queue's Enter. No inline script (CSP).
(function () {
  "use strict";
  var store = {
    get: function (k, d) { try { var v = localStorage.getItem("review." + k); return v === null ? d : v; } catch (e) { return d; } },
    set: function (k, v) { try { localStorage.setItem("review." + k, String(v)); } catch (e) { /* private mode */ } }
  };
  // flag outlines: positions come as data (CSP forbids inline styles)
  document.querySelectorAll(".box[data-box]").forEach(function (el) {
    var v = el.getAttribute("data-box").split(",");
    el.style.left = v[0] + "%"; el.style.top = v[1] + "%";
    el.style.width = v[2] + "%"; el.style.height = v[3] + "%";
  });

  // ---- line strips: scale, zoom, pan, image kind --------------------------------------------
  var strips = document.getElementById("strips");
  var zoom = parseFloat(store.get("zoom", "1")) || 1;
  function layout() {
    if (!strips) return;
    var scale = parseFloat(strips.getAttribute("data-scale")) || 1;
    strips.querySelectorAll(".strip").forEach(function (s) {
      var inner = s.querySelector(".strip-inner");
      inner.style.width = (parseFloat(s.getAttribute("data-w")) * scale * zoom) + "px";
      inner.style.height = (parseFloat(s.getAttribute("data-h")) * scale * zoom) + "px";
    });
    var label = document.getElementById("zoom-level");
    if (label) label.textContent = Math.round(zoom * 100) + "%";
  }
  function setZoom(step) {
    zoom = Math.min(4, Math.max(0.25, Math.round((zoom + step * 0.25) * 100) / 100));
    store.set("zoom", zoom);
    layout();
  }
  var panning = false;
  function pan(left) {  // every strip scrolls together: the column under the cursor stays lined up
    if (panning || !strips) return;
    panning = true;
    strips.querySelectorAll(".strip").forEach(function (s) { s.scrollLeft = left; });
    panning = false;
    store.set("pan", left);
  }
  if (strips) {
    layout();
    var startPan = parseFloat(store.get("pan", "0")) || 0;
    strips.querySelectorAll(".strip").forEach(function (s) {
      s.addEventListener("scroll", function () { pan(s.scrollLeft); });
    });
    window.addEventListener("load", function () { pan(startPan); });
    var kind = store.get("kind", strips.getAttribute("data-default-kind"));
    function setKind(k) {
      var button = document.querySelector('[data-kind="' + k + '"]');
      if (!button || button.disabled) return;
      strips.querySelectorAll("img.strip-img").forEach(function (img) {
        img.src = "/images/pages/" + strips.getAttribute("data-page") + "?kind=" + k + "&crop=" + img.getAttribute("data-crop");
      });
      document.querySelectorAll("[data-kind]").forEach(function (b) { b.setAttribute("aria-pressed", b === button ? "true" : "false"); });
      store.set("kind", k);
    }
    document.querySelectorAll("[data-kind]").forEach(function (b) {
      b.addEventListener("click", function () { setKind(b.getAttribute("data-kind")); });
    });
    if (kind && kind !== strips.getAttribute("data-default-kind")) setKind(kind);
    else { var current = document.querySelector('[data-kind="' + kind + '"]'); if (current) current.setAttribute("aria-pressed", "true"); }
    // focus: the first flagged line, caret at the end
    var first = strips.querySelector("input.line.flagged") || strips.querySelector("input.line");
    if (first) { first.focus(); first.setSelectionRange(first.value.length, first.value.length); }
  }
  document.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () { setZoom(parseInt(b.getAttribute("data-zoom"), 10)); });
  });

  // ---- a flag's suggested word goes into its line, at the flagged occurrence ------------------
  var EDGE = "\\s.,;:!?\"'()\\[\\]«»“”‘’\\-–—…";
  function escapeRe(t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  document.querySelectorAll("button.suggest").forEach(function (b) {
    b.addEventListener("click", function () {
      var field = document.getElementById("line-" + b.getAttribute("data-line"));
      if (!field) return;
      var find = b.getAttribute("data-find"), put = b.getAttribute("data-put");
      var nth = parseInt(b.getAttribute("data-nth"), 10) || 0;
      var re = new RegExp("(^|[" + EDGE + "])" + escapeRe(find) + "(?=$|[" + EDGE + "])", "gu");
      var m, k = 0, hit = null, first = null;
      while ((m = re.exec(field.value)) !== null) {
        if (first === null) first = m;
        if (k++ === nth) { hit = m; break; }
        re.lastIndex = m.index + 1;
      }
      hit = hit || first;  // the line was edited since: the first occurrence
      if (!hit) { b.textContent = "“" + find + "” is no longer in the line"; b.disabled = true; return; }
      var start = hit.index + hit[1].length;
      field.value = field.value.slice(0, start) + put + field.value.slice(start + find.length);
      field.focus();
      field.setSelectionRange(start, start + put.length);
      b.disabled = true;
    });
  });

  // ---- one flag's decision, sent without leaving the page (typed lines are kept) --------------
  document.querySelectorAll("form.decide-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.fetch) return;
      e.preventDefault();
      var data = new FormData(form);
      if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
      fetch(form.action, { method: "POST", body: new URLSearchParams(data), headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (res) {
          var li = document.getElementById("flag-" + res.flag);
          if (li) { li.classList.add("decided"); li.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
            var note = document.createElement("em"); note.className = "decision"; note.textContent = res.decision === "dismiss" ? " not an error (remembered)" : " not an error"; li.appendChild(note); }
          document.querySelectorAll('.box[data-flag="' + res.flag + '"]').forEach(function (b) { b.classList.add("decided"); });
          var hidden = document.querySelector('#review-form input[name=flag_id][value="' + res.flag + '"]');
          if (hidden) hidden.remove();
        })
        .catch(function () { form.submit(); });
    });
  });

  // ---- the queue: arrows move, Enter opens ----------------------------------------------------
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.queue-row"));
  rows.forEach(function (row, i) {
    row.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); window.location.href = row.getAttribute("data-href"); }
      else if (e.key === "ArrowDown" && rows[i + 1]) { e.preventDefault(); rows[i + 1].focus(); }
      else if (e.key === "ArrowUp" && rows[i - 1]) { e.preventDefault(); rows[i - 1].focus(); }
    });
    row.addEventListener("dblclick", function () { window.location.href = row.getAttribute("data-href"); });
  });
  if (rows.length && !document.querySelector("select:focus")) rows[0].focus();

  // ---- keyboard shortcuts ------------------------------------------------------------------
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey && e.key === "Enter") {
      var save = document.querySelector('button[data-key="s"]');
      if (save) { e.preventDefault(); save.click(); }
      return;
    }
    if (e.key === "Enter" && e.target && e.target.matches && e.target.matches("input.line")) {
      e.preventDefault();  // Enter in a line moves on rather than submitting half a review
      var next = document.getElementById("line-" + (parseInt(e.target.id.slice(5), 10) + 1));
      if (next) next.focus();
      return;
    }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "=" || e.key === "+") { e.preventDefault(); setZoom(1); return; }
    if (e.key === "-") { e.preventDefault(); setZoom(-1); return; }
    // e.code keeps working when a Vietnamese input method changes e.key
    var key = (e.code && e.code.indexOf("Key") === 0) ? e.code.slice(3).toLowerCase() : (e.key || "").toLowerCase();
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) { e.preventDefault(); button.click(); }
  });
})();
