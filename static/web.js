// Progressive enhancement for Roadie's web interface. Every form works without this file.
"use strict";
(function () {
  // Upload progress: send forms marked data-upload with XHR to show a progress bar, then show
  // the page the server answered with (a redirect is followed by the browser's XHR).
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) return;
      event.preventDefault();
      var bar = form.querySelector("progress.upload");
      var status = form.querySelector(".upload-status");
      var button = form.querySelector("button[type=submit]");
      if (bar) { bar.hidden = false; bar.value = 0; }
      if (button) button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) return;
        var pct = Math.round((e.loaded / e.total) * 100);
        if (bar) bar.value = pct;
        if (status) status.textContent = pct < 100 ? "Uploading… " + pct + "%" : "Processing…";
      });
      xhr.addEventListener("load", function () {
        if (xhr.responseURL && xhr.responseURL !== window.location.href && xhr.status < 400) {
          window.location.assign(xhr.responseURL);
          return;
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        if (status) status.textContent = "The upload failed. Check your connection and try again.";
        if (button) button.disabled = false;
      });
      xhr.send(new FormData(form));
    });
  });

  // Confirmation before destructive actions.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  // City autocomplete from the gazetteer into the field's <datalist>.
  document.querySelectorAll("input[data-cities]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || q.indexOf(",") >= 0 || !list) return;
      timer = setTimeout(function () {
        fetch(input.getAttribute("data-cities") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (cities) {
            list.innerHTML = "";
            cities.forEach(function (c) {
              var option = document.createElement("option");
              option.value = c.label;
              option.textContent = c.label + " (" + c.timezone + ")";
              list.appendChild(option);
            });
          })
          .catch(function () {});
      }, 150);
    });
  });
})();
