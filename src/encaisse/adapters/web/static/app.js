/* Encaisse — small progressive enhancements (no framework, no build).
   Pages work without JavaScript; the server recomputes and validates everything. */
(function () {
  "use strict";

  function parseNumber(text) {
    if (!text) { return 0; }
    var cleaned = String(text).replace(/[\s\u00a0\u202f]/g, "").replace(",", ".");
    var value = Number(cleaned);
    return isFinite(value) ? value : NaN;
  }

  function cents(value) { return Math.round(value * 100 + (value >= 0 ? 1e-9 : -1e-9)); }

  function formatEuro(centsValue) {
    return new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format(centsValue / 100);
  }

  function recompute(form) {
    var rows = form.querySelectorAll("[data-line]");
    var groups = {};
    var net = 0;
    var invalid = false;
    rows.forEach(function (row) {
      var get = function (f) { var el = row.querySelector("[data-f='" + f + "']"); return el ? el.value : ""; };
      var qty = parseNumber(get("quantity"));
      var price = parseNumber(get("unit_price"));
      var rate = parseNumber(get("vat_rate"));
      var exemption = get("exemption");
      if (isNaN(qty) || isNaN(price) || isNaN(rate)) { invalid = true; return; }
      var lineNet = cents(qty * price);
      net += lineNet;
      var effective = exemption ? 0 : rate;
      var key = (exemption || "S") + ":" + effective;
      groups[key] = groups[key] || { rate: effective, base: 0 };
      groups[key].base += lineNet;
      var out = row.querySelector("[data-line-total]");
      if (out) { out.textContent = formatEuro(lineNet); }
    });
    var vat = 0;
    Object.keys(groups).forEach(function (k) { vat += Math.round(groups[k].base * groups[k].rate / 100); });
    var box = form.querySelector("[data-totals]");
    if (!box) { return; }
    box.querySelector("[data-total='net']").textContent = invalid ? "—" : formatEuro(net);
    box.querySelector("[data-total='vat']").textContent = invalid ? "—" : formatEuro(vat);
    box.querySelector("[data-total='gross']").textContent = invalid ? "—" : formatEuro(net + vat);
  }

  function nextIndex(tbody) {
    var max = -1;
    tbody.querySelectorAll("[data-line]").forEach(function (row) {
      var n = Number(row.getAttribute("data-line"));
      if (n > max) { max = n; }
    });
    return max + 1;
  }

  function addLine(form, values) {
    var tpl = document.getElementById("line-template");
    var tbody = form.querySelector("[data-lines]");
    if (!tpl || !tbody) { return null; }
    var index = nextIndex(tbody);
    var html = tpl.innerHTML.replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
    var holder = document.createElement("tbody");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    tbody.appendChild(row);
    if (values) {
      Object.keys(values).forEach(function (f) {
        var el = row.querySelector("[data-f='" + f + "']");
        if (el) { el.value = values[f]; }
      });
    }
    var first = row.querySelector("textarea, input");
    if (first) { first.focus(); }
    recompute(form);
    return row;
  }

  function setupDocumentForm(form) {
    form.addEventListener("input", function () { recompute(form); });
    form.addEventListener("change", function () { recompute(form); });
    form.addEventListener("click", function (ev) {
      var target = ev.target;
      if (!(target instanceof HTMLElement)) { return; }
      if (target.matches("[data-add-line]")) { ev.preventDefault(); addLine(form, null); }
      if (target.matches("[data-remove-line]")) {
        ev.preventDefault();
        var row = target.closest("[data-line]");
        if (row) { row.remove(); recompute(form); }
      }
    });
    var picker = form.querySelector("[data-item-picker]");
    var catalogue = document.getElementById("items-data");
    if (picker && catalogue) {
      var items = JSON.parse(catalogue.textContent || "[]");
      picker.addEventListener("change", function () {
        var chosen = items.filter(function (it) { return String(it.id) === picker.value; })[0];
        if (chosen) {
          addLine(form, { description: chosen.description, quantity: "1", unit: chosen.unit,
            unit_price: chosen.unit_price, vat_rate: chosen.vat_rate, nature: chosen.nature });
        }
        picker.value = "";
      });
    }
    recompute(form);
  }

  /* SIREN: Luhn check and the French VAT number derived from it (key = (12 + 3 × (SIREN mod 97)) mod 97). */
  function sirenInfo(raw) {
    var digits = String(raw).replace(/\D/g, "");
    if (digits.length !== 9) { return null; }
    var sum = 0;
    for (var i = 0; i < 9; i++) {
      var d = Number(digits[8 - i]);
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    if (sum % 10 !== 0 && digits !== "356000000") { return { valid: false }; }
    var key = (12 + 3 * (Number(digits) % 97)) % 97;
    return { valid: true, vat: "FR" + (key < 10 ? "0" : "") + key + digits };
  }

  function setupSiren(input) {
    var out = document.querySelector("[data-vat-output]");
    if (!out) { return; }
    input.addEventListener("input", function () {
      var info = sirenInfo(input.value);
      if (!info) { out.textContent = ""; return; }
      out.textContent = info.valid ? "Numéro de TVA intracommunautaire : " + info.vat
        : "Ce SIREN n'est pas valide (clé de contrôle incorrecte).";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-siren]").forEach(setupSiren);
    document.querySelectorAll("form[data-document-form]").forEach(setupDocumentForm);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { ev.preventDefault(); }
      });
    });
  });
})();
