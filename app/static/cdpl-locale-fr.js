/* cdpl-gestion: the record pickers (Select2 3.5) and the date pickers
   (bootstrap-daterangepicker on moment.js) in French, weeks starting on Monday.
   Loaded after those libraries and before Flask-Admin's form.js builds the
   widgets (it does so when the page has loaded). */
(function ($, moment) {
  "use strict";
  if (moment && moment.locale) {
    moment.locale("fr", {
      months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
               "août", "septembre", "octobre", "novembre", "décembre"],
      monthsShort: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.",
                    "août", "sept.", "oct.", "nov.", "déc."],
      weekdays: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
                 "samedi"],
      weekdaysShort: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      weekdaysMin: ["di", "lu", "ma", "me", "je", "ve", "sa"],
      week: { dow: 1, doy: 4 }
    });
    moment.locale("fr");
  }
  if (!$) { return; }

  var plural = function (n) { return n > 1 ? "s" : ""; };
  if ($.fn.select2 && $.fn.select2.defaults) {
    $.extend($.fn.select2.defaults, {
      formatMatches: function (n) {
        return n + " résultat" + plural(n) + " disponible" + plural(n) +
          ", utilisez les flèches haut et bas pour naviguer.";
      },
      formatNoMatches: function () { return "Aucun résultat"; },
      formatInputTooShort: function (input, min) {
        var n = min - input.length;
        return "Saisissez au moins " + n + " caractère" + plural(n);
      },
      formatInputTooLong: function (input, max) {
        var n = input.length - max;
        return "Supprimez " + n + " caractère" + plural(n);
      },
      formatSelectionTooBig: function (limit) {
        return "Vous pouvez choisir " + limit + " élément" + plural(limit) +
          " au plus";
      },
      formatLoadMore: function () { return "Chargement de résultats supplémentaires…"; },
      formatSearching: function () { return "Recherche en cours…"; }
    });
  }

  // daterangepicker.js is loaded after this file (with form.js); ready handlers
  // run in order, so this one wraps it before form.js's handler builds pickers.
  $(function () {
    if (!$.fn.daterangepicker) { return; }
    var frenchLocale = {
      applyLabel: "Valider",
      cancelLabel: "Annuler",
      fromLabel: "Du",
      toLabel: "au",
      weekLabel: "S",
      customRangeLabel: "Période personnalisée",
      daysOfWeek: moment.weekdaysMin(),
      monthNames: moment.monthsShort(),
      firstDay: 1
    };
    var original = $.fn.daterangepicker;
    $.fn.daterangepicker = function (options, callback) {
      var merged = $.extend(true, { locale: frenchLocale }, options || {});
      return original.call(this, merged, callback);
    };
  });
})(window.jQuery, window.moment);
