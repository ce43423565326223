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
      if (window.faForm) { window.faForm.addInlineField(el, m[1]); }
      return;
    }
    if (/^return false;?$/.test(code)) { event.preventDefault(); }
  }

  document.addEventListener('click', function (event) {
    var el = event.target.closest ? event.target.closest('[data-cdpl-onclick]') : null;
    if (el) { run(el, el.getAttribute('data-cdpl-onclick').trim(), event); }
  });
})();
