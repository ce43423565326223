/* cdpl-gestion: accessibility fixes applied to Flask-Admin's markup.
   Served locally, no inline script, so it works under a strict CSP. Every fix
   is idempotent and re-applied when rows are added (inline forms) or when
   select2 draws its widgets. */
(function () {
  "use strict";

  var each = function (root, selector, fn) {
    Array.prototype.forEach.call(root.querySelectorAll(selector), fn);
  };
  var counter = 0;
  var ensureId = function (el, prefix) {
    if (!el.id) {
      counter += 1;
      el.id = prefix + "-" + counter;
    }
    return el.id;
  };
  var text = function (el) {
    return el ? el.textContent.replace(/\s+/g, " ").replace(/\*/g, "").trim() : "";
  };

  // List checkboxes only have a generic title: name each one after its row.
  function labelRowCheckboxes(root) {
    each(root, "input.action-rowtoggle:not([aria-label])", function (box) {
      box.setAttribute("aria-label", "Sélectionner toutes les lignes");
    });
    each(root, "input.action-checkbox:not([aria-label])", function (box) {
      var row = box.closest("tr");
      var cell = row ? row.querySelector("td[class^='col-']") : null;
      var name = text(cell);
      box.setAttribute(
        "aria-label",
        "Sélectionner la ligne" + (name ? " « " + name + " »" : " n° " + box.value)
      );
    });
    each(root, "table.model-list thead th", function (th) {
      if (!th.textContent.trim() && !th.querySelector("input, .sr-only")) {
        th.innerHTML = '<span class="sr-only">Actions</span>';
      }
    });
  }

  // Icon-only links: give them a name.
  function nameIconLinks(root) {
    each(root, "a.inline-remove-field:not([aria-label])", function (a) {
      a.setAttribute("aria-label", "Retirer cette ligne");
      a.setAttribute("role", "button");
    });
    each(root, ".input-group-text a:not([aria-label])", function (a) {
      if (!text(a)) a.setAttribute("aria-label", "Effacer la recherche");
    });
  }

  // Labels of rows added to an inline form point at the template's ids
  // ("guest" instead of "attendances-0-guest"); select2 pickers are named by
  // their current value only. Tie every form-group label to its control.
  function relabelFormGroups(root) {
    // The red asterisk is for sighted users; the field's "required" state is
    // already announced, so keep "*" out of the accessible name.
    each(root, "label strong.text-danger:not([aria-hidden])", function (star) {
      star.setAttribute("aria-hidden", "true");
      star.setAttribute("title", "obligatoire");
    });
    each(root, "form .form-group", function (group) {
      var label = group.querySelector(":scope > label.col-form-label");
      if (!label) return;
      var focusser = group.querySelector(".select2-focusser");
      if (focusser) {
        label.setAttribute("for", focusser.id);
        var chosen = group.querySelector(".select2-chosen");
        var ids = ensureId(label, "cdpl-label") + (chosen ? " " + ensureId(chosen, "cdpl-chosen") : "");
        if (focusser.getAttribute("aria-labelledby") !== ids) {
          focusser.setAttribute("aria-labelledby", ids);
        }
        return;
      }
      var target = label.getAttribute("for");
      if (target && document.getElementById(target) && group.contains(document.getElementById(target))) return;
      var control = group.querySelector("input:not([type=hidden]), select, textarea");
      if (control) label.setAttribute("for", ensureId(control, "cdpl-field"));
    });
  }

  // Fields with an error: mark them invalid and point them at the message.
  function describeErrors(root) {
    each(root, ".is-invalid", function (el) {
      // select2 hides the real field and copies its classes onto its container:
      // the element a person reaches is the container's focusser.
      var control = el.classList.contains("select2-container")
        ? el.querySelector(".select2-focusser")
        : el;
      if (!control || control.type === "hidden" || control.style.display === "none") return;
      control.setAttribute("aria-invalid", "true");
      var feedback = el.parentElement.querySelector(".invalid-feedback");
      if (feedback) control.setAttribute("aria-describedby", ensureId(feedback, "cdpl-error"));
    });
  }

  // select2 3.5's open list: give the combobox the attribute ARIA requires and
  // its status lines ("Aucun résultat", "Recherche…") a role a listbox allows.
  function fixSelect2Drop(root) {
    each(root, "input.select2-input[aria-owns]:not([aria-controls])", function (input) {
      input.setAttribute("aria-controls", input.getAttribute("aria-owns"));
    });
    each(root, ".select2-results > li:not([role])", function (li) {
      li.setAttribute("role", "option");
      li.setAttribute("aria-disabled", "true");
    });
  }

  // The date pickers re-read the field on every key press and rewrite it with
  // whatever the partial text parses to ("2" becomes "0002-01-01 ..."), so a
  // date cannot be typed. Only take the text once it is a complete date, and
  // never rewrite it while the person types.
  var DATE_FORMATS = ["YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD HH:mm", "YYYY-MM-DD",
                      "DD/MM/YYYY HH:mm", "DD/MM/YYYY"];
  function fixDatePickers() {
    var $ = window.jQuery;
    if (!$ || !window.moment) return;
    $("input[data-role=datepicker], input[data-role=datetimepicker]").each(function () {
      var $el = $(this);
      var picker = $el.data("daterangepicker");
      if (!picker || $el.data("cdplTyped")) return;
      $el.data("cdplTyped", true);
      $el.off("keyup.daterangepicker").on("keyup.daterangepicker", function () {
        var typed = window.moment($el.val(), [picker.format].concat(DATE_FORMATS), true);
        if (!typed.isValid()) return;
        // Keep the text as typed; the picker writes its normalised form when
        // it closes.
        picker.startDate = typed;
        picker.endDate = typed.clone();
        picker.updateView();
        picker.updateCalendars();
      });
    });
  }

  function run() {
    fixDatePickers();
    var root = document;
    labelRowCheckboxes(root);
    nameIconLinks(root);
    relabelFormGroups(root);
    describeErrors(root);
    fixSelect2Drop(root);
  }

  var scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    window.requestAnimationFrame(function () {
      scheduled = false;
      run();
    });
  }

  function start() {
    run();
    // select2 initialises after DOMContentLoaded handlers of earlier scripts.
    window.setTimeout(run, 0);
    new MutationObserver(schedule).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
