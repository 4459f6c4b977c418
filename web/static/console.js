// harborwatch console: small enhancements; every page reads without it.
(function () {
  "use strict";
  // Sort a table by a column: click its header.
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (th, col) {
      th.classList.add("sortable");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var dir = th.dataset.dir === "asc" ? -1 : 1;
        th.dataset.dir = dir === 1 ? "asc" : "desc";
        rows.sort(function (a, b) {
          var x = (a.cells[col] || {}).dataset, y = (b.cells[col] || {}).dataset;
          var p = (x && x.key) || (a.cells[col] ? a.cells[col].textContent.trim() : "");
          var q = (y && y.key) || (b.cells[col] ? b.cells[col].textContent.trim() : "");
          var np = parseFloat(p.replace(/,/g, "")), nq = parseFloat(q.replace(/,/g, ""));
          if (!isNaN(np) && !isNaN(nq)) { return dir * (np - nq); }
          return dir * p.localeCompare(q);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  // Select every finding of the page.
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name=f]").forEach(function (c) { c.checked = all.checked; });
    });
  }
  // Upload a capture with progress, through the API (session cookie + CSRF header).
  var up = document.getElementById("upload");
  if (up) {
    up.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var file = up.querySelector("input[type=file]").files[0];
      var site = up.querySelector("select[name=site]").value;
      var bar = document.getElementById("upload-progress"), out = document.getElementById("upload-status");
      if (!file || !site) { out.textContent = "Choose a site and a capture file."; return; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/sites/" + encodeURIComponent(site) + "/captures?name=" + encodeURIComponent(file.name));
      xhr.setRequestHeader("X-CSRF-Token", up.querySelector("input[name=csrf]").value);
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
      xhr.onload = function () {
        if (xhr.status === 202) { out.textContent = "Uploaded: analysis under way."; setTimeout(function () { location.reload(); }, 1500); }
        else { var msg = xhr.responseText; try { msg = JSON.parse(xhr.responseText).error; } catch (e) {} out.textContent = "Refused (" + xhr.status + "): " + msg; }
      };
      xhr.onerror = function () { out.textContent = "The upload failed."; };
      xhr.send(file);
    });
  }
})();
