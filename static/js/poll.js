// An element with data-poll="<url>" is replaced by what that URL answers every two seconds, until the
// answer no longer asks to be polled (no full reload; htmx-style polling without the library).
(function () {
  function poll(element) {
    var url = element.getAttribute("data-poll");
    if (!url) return;
    window.setTimeout(function () {
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          element.replaceWith(fresh);
          poll(fresh);
        })
        .catch(function () { poll(element); });
    }, 2000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(poll);
  });
})();
