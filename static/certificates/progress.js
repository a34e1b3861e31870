// While the worker renders and signs, ask for the progress every second and a half; reload the
// page when it is done so the download and the actions appear.
(function () {
  var box = document.getElementById("progress");
  if (!box || box.dataset.finished === "1") return;
  var labels = {pending: box.dataset.labelPending, rendering: box.dataset.labelRendering, signing: box.dataset.labelSigning, issued: box.dataset.labelIssued, failed: box.dataset.labelFailed};
  function poll() {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (p) {
        p.steps.forEach(function (s) {
          var li = box.querySelector('[data-step="' + s.name + '"]');
          if (li) li.classList.toggle("done", s.done);
        });
        var badge = document.getElementById("status-badge");
        badge.textContent = labels[p.status] || p.label;
        badge.className = "badge status-" + p.status;
        if (p.finished) { window.location.reload(); } else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();
