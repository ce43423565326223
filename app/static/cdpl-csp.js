/*
 * Flask-Admin's templates use a few inline onclick="" handlers. The
 * Content-Security-Policy forbids inline code ('unsafe-inline' is not allowed),
 * so the app renames them data-cdpl-onclick (app/web.py) and this file, served
 * by the app, does the same work from a listener. Only the known handler shapes are recognised: nothing is
 * evaluated.
 */
(function () {
  'use strict';

  function run(el, code, event) {
    var m = code.match(/^return faHelpers\.safeConfirm\('([\s\S]*)'\);?$/);
    if (m) {
      if (!window.confirm(m[1])) { event.preventDefault(); }
      return;
    }
    m = code.match(/^return modelActions\.execute\('([^']*)'\);?$/);
    if (m) {
      event.preventDefault();
      if (window.modelActions) { window.modelActions.execute(m[1]); }
      return;
    }
    m = code.match(/^faForm\.addInlineField\(this, '([^']*)'\);?$/);
    if (m) {
      event.preventDefault();
      if (el.closest('.cdpl-inline-table')) { addTableRow(el, m[1]); return; }
      if (window.faForm) { window.faForm.addInlineField(el, m[1]); }
      return;
    }
    if (/^return false;?$/.test(code)) { event.preventDefault(); }
  }

  // "Ajouter une ligne" of an inline sub-form drawn as a table
  // (admin/model/inline_list_base.html): what Flask-Admin's addInlineField
  // does for a list of blocks, for a table body. The new row's fields are
  // named "<list>-<n>-<field>" after the highest row number in use.
  function addTableRow(button, listId) {
    var $ = window.jQuery;
    var box = button.closest('.inline-field');
    var body = box && box.querySelector('.inline-field-list');
    var holder = box && box.querySelector(':scope > .inline-field-template');
    if (!$ || !body || !holder) { return; }
    var next = 0;
    Array.prototype.forEach.call(body.children, function (row) {
      if (!row.classList.contains('inline-field') || !row.id) { return; }
      var parts = row.id.split('-');
      var n = parseInt(parts[parts.length - 1], 10) + 1;
      if (n > next) { next = n; }
    });
    var prefix = listId + '-' + next;
    var $row = $($.parseHTML($(holder).text().trim(), document, false)).filter('tr');
    $row.attr('id', prefix).addClass('fresh');
    $('[name]', $row).each(function () {
      var me = $(this);
      var id = me.attr('id') || '';
      var name = me.attr('name') || '';
      me.attr('id', prefix + (id !== '' ? '-' + id : ''));
      me.attr('name', prefix + (name !== '' ? '-' + name : ''));
    });
    $row.appendTo(body);
    $('input:visible:first, select:visible:first, textarea:visible:first', $row).first().focus();
    if (window.faForm) { window.faForm.applyGlobalStyles($row); }
  }

  document.addEventListener('click', function (event) {
    var el = event.target.closest ? event.target.closest('[data-cdpl-onclick]') : null;
    if (el) { run(el, el.getAttribute('data-cdpl-onclick').trim(), event); }
  });
})();
