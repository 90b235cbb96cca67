// Keyboard shortcuts, zoom and flag boxes on the review page. No inline script (CSP).
(function () {
  "use strict";
  // flag boxes over the cropped scan: positions come as data (CSP forbids inline styles)
  document.querySelectorAll(".crop .box[data-box]").forEach(function (el) {
    var v = el.getAttribute("data-box").split(",");
    el.style.left = v[0] + "%"; el.style.top = v[1] + "%";
    el.style.width = v[2] + "%"; el.style.height = v[3] + "%";
  });
  var crop = document.getElementById("crop");
  var scale = 1;
  function zoom(step) {
    if (!crop) return;
    scale = Math.min(4, Math.max(0.5, scale + step * 0.5));
    crop.style.width = (scale * 100) + "%";
  }
  document.querySelectorAll("[data-zoom]").forEach(function (b) {
    b.addEventListener("click", function () { zoom(parseInt(b.getAttribute("data-zoom"), 10)); });
  });
  // a flag's suggested word ("thi" -> "thí"): put it in the editable copy, at the flagged
  // occurrence of the word, and select it; saving stays the reviewer's decision
  var EDGE = "\\s.,;:!?\"'()\\[\\]«»“”‘’\\-–—…";
  function escapeRe(t) { return t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  document.querySelectorAll("button.suggest").forEach(function (b) {
    b.addEventListener("click", function () {
      var area = document.getElementById("text");
      if (!area) return;
      var find = b.getAttribute("data-find"), put = b.getAttribute("data-put");
      var nth = parseInt(b.getAttribute("data-nth"), 10) || 0;
      var re = new RegExp("(^|[" + EDGE + "])" + escapeRe(find) + "(?=$|[" + EDGE + "])", "gu");
      var m, k = 0, hit = null, first = null;
      while ((m = re.exec(area.value)) !== null) {
        if (first === null) first = m;
        if (k++ === nth) { hit = m; break; }
        re.lastIndex = m.index + 1;
      }
      hit = hit || first;  // the text was edited since: the first occurrence
      if (!hit) { b.textContent = "“" + find + "” is no longer in the text"; b.disabled = true; return; }
      var start = hit.index + hit[1].length;
      area.value = area.value.slice(0, start) + put + area.value.slice(start + find.length);
      area.focus();
      area.setSelectionRange(start, start + put.length);
      b.disabled = true;
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey && e.key === "Enter") {
      var save = document.querySelector('button[data-key="s"]');
      if (save) { e.preventDefault(); save.click(); }
      return;
    }
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "=" || e.key === "+") { e.preventDefault(); zoom(1); return; }
    if (e.key === "-") { e.preventDefault(); zoom(-1); return; }
    // e.code keeps working when a Vietnamese input method changes e.key
    var key = (e.code && e.code.indexOf("Key") === 0) ? e.code.slice(3).toLowerCase() : (e.key || "").toLowerCase();
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (button) { e.preventDefault(); button.click(); }
  });
})();
