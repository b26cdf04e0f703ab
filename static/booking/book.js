// The booking page: picked colleagues as chips (required or optional), and the browser's time zone on first visit.
(function () {
  "use strict";

  function chosen() { return document.getElementById("chosen"); }

  function refreshEmpty() {
    var empty = document.getElementById("chosen-empty");
    if (empty) { empty.hidden = chosen().children.length > 0; }
    var refused = document.getElementById("chosen-full");
    if (refused && !isFull(refused.dataset.role || "required")) { refused.hidden = true; }
  }

  // The most colleagues of each role a search takes (the server refuses more); the page states both.
  function most(role) {
    var limit = document.getElementById("chosen-limit");
    var value = limit && limit.getAttribute("data-most-" + role);
    return value ? parseInt(value, 10) : Infinity;
  }

  function isFull(role) {
    return chosen().querySelectorAll('input[type=hidden][name="' + role + '"]').length >= most(role);
  }

  function refuseMore(name, role) {
    // The words come from the page, in its reader's language ({most} and {name} filled in here).
    var refused = document.getElementById("chosen-full");
    var words = refused ? refused.getAttribute("data-full-" + role) || "" : "";
    var text = words.replace("{most}", String(most(role))).replace("{name}", name);
    if (refused) { refused.textContent = text; refused.dataset.role = role; refused.hidden = false; }
  }

  function setRole(chip, role) {
    chip.querySelector("input[type=hidden]").name = role;
    chip.querySelector("select[data-role]").value = role;
  }

  // What the status line says, in the page's language: its data-* words, with {name} and {role} filled in.
  function say(key, name, role) {
    var status = document.getElementById("chosen-status");
    if (!status) { return; }
    var roleWord = role ? status.getAttribute("data-" + role) || role : "";
    status.textContent = (status.getAttribute("data-" + key) || "").replace("{name}", name).replace("{role}", roleWord);
  }

  function add(uuid, name, role) {
    var list = chosen();
    var existing = list.querySelector('[data-uuid="' + CSS.escape(uuid) + '"]');
    var same = existing && existing.querySelector("input[type=hidden]").name === role;
    if (!same && isFull(role)) { refuseMore(name, role); return; }
    say(existing ? "now" : "added", name, role);
    if (existing) { setRole(existing, role); refreshEmpty(); return; }
    var chip = document.getElementById("chip-template").content.firstElementChild.cloneNode(true);
    chip.dataset.uuid = uuid;
    chip.querySelector(".name").textContent = name;
    chip.querySelector("input[type=hidden]").value = uuid;
    chip.querySelector("input[name=widen]").value = uuid;
    var remove = chip.querySelector("[data-remove]");
    remove.setAttribute("aria-label", (remove.getAttribute("data-label") || "{name}").replace("{name}", name));
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
      say("removed", chip.querySelector(".name").textContent, "");
      chip.remove();
      refreshEmpty();
      document.getElementById("people-q").focus();  // the removed button took the focus with it
    }
  });

  document.addEventListener("change", function (event) {
    if (!event.target.matches("select[data-role]")) { return; }
    var chip = event.target.closest("li"), role = event.target.value;
    if (isFull(role)) {  // a role already full keeps this colleague where they were
      event.target.value = chip.querySelector("input[type=hidden]").name;
      refuseMore(chip.querySelector(".name").textContent, role);
      return;
    }
    setRole(chip, role);
    refreshEmpty();
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
