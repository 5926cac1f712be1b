/* Shows the chosen date beside a date field in the page's language: the Japanese era date in Japanese,
   the Gregorian date with the era year in English. The server renders the first value; this keeps it
   current as the field changes. No inline script (CSP): loaded from /console/assets. */
(function () {
  'use strict';
  function format(value, lang) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return '—';
    var d = new Date(value + 'T12:00:00+09:00');
    if (isNaN(d.getTime())) return '—';
    if (lang === 'ja') {
      return new Intl.DateTimeFormat('ja-JP-u-ca-japanese', { era: 'long', year: 'numeric', month: 'long', day: 'numeric', weekday: 'short', timeZone: 'Asia/Tokyo' }).format(d);
    }
    var g = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'Asia/Tokyo' }).format(d);
    var parts = new Intl.DateTimeFormat('en-u-ca-japanese', { era: 'long', year: 'numeric', timeZone: 'Asia/Tokyo' }).formatToParts(d);
    var part = function (type) {
      var found = parts.filter(function (p) { return p.type === type; })[0];
      return found ? found.value : '';
    };
    return g + ' (' + part('era') + ' ' + part('year') + ')';
  }
  document.querySelectorAll('input[type="date"][data-era-lang]').forEach(function (input) {
    var out = document.getElementById(input.id + '-era');
    if (!out) return;
    input.addEventListener('input', function () {
      out.textContent = format(input.value, input.getAttribute('data-era-lang'));
    });
  });
})();
