// Client-side search over window.CELLNET_SEARCH: [page title, section heading, url from the site root, text].
// Every word typed must occur in the entry; title and heading hits rank first. No network, no library.
(function () {
  'use strict';
  var index = window.CELLNET_SEARCH || [];
  var root = document.body.getAttribute('data-root') || '';
  var input = document.getElementById('search-input');
  var list = document.getElementById('search-results');
  if (!input || !list) return;
  var lower = index.map(function (e) { return [e[0].toLowerCase(), e[1].toLowerCase(), e[3].toLowerCase()]; });

  function score(i, words) {
    var s = 0, e = lower[i];
    for (var k = 0; k < words.length; k++) {
      var w = words[k], inText = e[2].indexOf(w);
      if (e[1].indexOf(w) >= 0) s += 10; else if (e[0].indexOf(w) >= 0) s += 5; else if (inText >= 0) s += 1;
      else return 0;
    }
    return s;
  }
  function snippet(text, word) {
    var at = Math.max(0, text.toLowerCase().indexOf(word) - 40);
    return (at > 0 ? '…' : '') + text.slice(at, at + 140) + (text.length > at + 140 ? '…' : '');
  }
  function show() {
    var q = input.value.trim().toLowerCase(), words = q.split(/\s+/).filter(Boolean);
    list.textContent = '';
    if (!words.length) { list.hidden = true; return; }
    var hits = [];
    for (var i = 0; i < index.length; i++) { var s = score(i, words); if (s) hits.push([s, i]); }
    hits.sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; });
    hits.slice(0, 20).forEach(function (h) {
      var e = index[h[1]], li = document.createElement('li'), a = document.createElement('a');
      a.href = root + e[2];
      var t = document.createElement('strong'); t.textContent = e[1] || e[0]; a.appendChild(t);
      if (e[1]) { var p = document.createElement('span'); p.className = 'page'; p.textContent = ' · ' + e[0]; a.appendChild(p); }
      var sn = document.createElement('span'); sn.className = 'snippet'; sn.textContent = snippet(e[3], words[0]);
      a.appendChild(sn); li.appendChild(a); list.appendChild(li);
    });
    if (!hits.length) { var li = document.createElement('li'); li.className = 'none'; li.textContent = 'No matches'; list.appendChild(li); }
    list.hidden = false;
  }
  input.addEventListener('input', show);
  input.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter') { var a = list.querySelector('a'); if (a) window.location.href = a.href; }
    if (ev.key === 'Escape') { input.value = ''; show(); }
  });
  var q = new URLSearchParams(window.location.search).get('q');
  if (q) { input.value = q; show(); }
})();
