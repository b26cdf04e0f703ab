// The booking page: picked colleagues as chips (required or optional), and the browser's time zone on first visit.
(function () {
  "use strict";

  function chosen() { return document.getElementById("chosen"); }

  function refreshEmpty() {
    var empty = document.getElementById("chosen-empty");
    if (empty) { empty.hidden = chosen().children.length > 0; }
    var full = document.getElementById("chosen-full");
    if (full && chosen().children.length < most()) { full.hidden = true; }
  }

  // The most colleagues a search takes (the server refuses more); the page states it next to the list.
  function most() {
    var limit = document.getElementById("chosen-limit");
    return limit ? parseInt(limit.dataset.most, 10) : Infinity;
  }

  function refuseMore(name) {
    var text = "At most " + most() + " colleagues in one meeting: remove someone to add " + name + ".";
    var full = document.getElementById("chosen-full");
    if (full) { full.textContent = text; full.hidden = false; }
  }

  function setRole(chip, role) {
    chip.querySelector("input[type=hidden]").name = role;
    chip.querySelector("select[data-role]").value = role;
  }

  function say(text) {
    var status = document.getElementById("chosen-status");
    if (status) { status.textContent = text; }
  }

  function add(uuid, name, role) {
    var list = chosen();
    var existing = list.querySelector('[data-uuid="' + CSS.escape(uuid) + '"]');
    if (!existing && list.children.length >= most()) { refuseMore(name); return; }
    say(name + (existing ? " is now " : " added, ") + role);
    if (existing) { setRole(existing, role); return; }
    var chip = document.getElementById("chip-template").content.firstElementChild.cloneNode(true);
    chip.dataset.uuid = uuid;
    chip.querySelector(".name").textContent = name;
    chip.querySelector("input[type=hidden]").value = uuid;
    chip.querySelector("input[name=widen]").value = uuid;
    chip.querySelector("[data-remove]").setAttribute("aria-label", "Remove " + name);
    setRole(chip, role);
    list.appendChild(chip);
    refreshEmpty();
  }

  document.addEventListener("click", function (event) {
    var adder = event.target.closest("button[data-add]");
    if (adder) { add(adder.dataset.uuid, adder.dataset.name, adder.dataset.add); return; }
    var remover = event.target.closest("button[data-remove]");
    if (remover) {
      var chip = remover.closest("li");
      say(chip.querySelector(".name").textContent + " removed");
      chip.remove();
      refreshEmpty();
      document.getElementById("people-q").focus();  // the removed button took the focus with it
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-role]")) { setRole(event.target.closest("li"), event.target.value); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.id === "people-q") { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("tz");
    if (!form || form.dataset.stored || !window.Intl || !window.htmx) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) { return; }
    var field = form.querySelector("[name=time_zone]");
    // The browser may name its zone in a way the list spells otherwise (Asia/Calcutta): send it as told.
    if (field.tagName === "SELECT" && !Array.prototype.some.call(field.options, function (o) { return o.value === zone; })) {
      field.add(new Option(zone, zone));
    }
    field.value = zone;
    htmx.trigger(form, "submit");
  });
})();
