/* Remote-control support for set-top boxes. ES3 only: old WebKit/iPanel engines.
   Pages work without it; this adds arrow focus movement (the lrud-spatial
   rule), Back, page keys, digit and colour keys, and focus memory via #f=. */
(function () {
  var d = document, W = window;
  /* The key table: each list cycles through its names (arrows: left up right down). */
  var KEYS = {};
  function def(codes, names) { for (var i = 0; i < codes.length; i++) { KEYS[codes[i]] = names[i % names.length]; } }
  def([37, 38, 39, 40, 3, 1, 4, 2, 28, 29, 30, 31, 269, 270, 271, 272, 65361, 65362, 65363, 65364], ['l', 'u', 'r', 'd']);
  def([13, 4097, 65293], ['ok']);
  def([8, 27, 340, 640, 461, 10009, 65367], ['back']);
  def([33, 34, 372, 373, 120, 121, 427, 428], ['prev', 'next']);
  def([403, 404, 405, 406, 275, 276, 277, 278, 2305, 2306, 2307, 2308], ['red', 'green', 'yellow', 'blue']);
  var COLOUR = { red: '', green: '/notices', yellow: '/health', blue: '/cameras' };
  var handled = false, last;

  function each(list, f) { for (var i = 0; i < list.length; i++) { f(list[i]); } }
  function find(attr, v) {
    var r = null;
    each(d.getElementsByTagName('a'), function (x) { if (!r && x.getAttribute(attr) === v) { r = x; } });
    return r;
  }
  function go(a) { if (a && a.href) { W.location.href = a.href; } }
  function focusables() {
    var out = [];
    each(d.getElementsByTagName('*'), function (x) {
      if ((x.tagName === 'A' && x.href) || x.getAttribute('tabindex') !== null) {
        if (x.offsetWidth > 0 && x.offsetHeight > 0) { out.push(x); }
      }
    });
    return out;
  }
  function group(x) {
    for (var p = x.parentNode; p && p !== d.body; p = p.parentNode) {
      if (p.tagName === 'NAV' || p.tagName === 'SECTION' || (p.getAttribute && p.getAttribute('data-group'))) { return p; }
    }
    return d.body;
  }
  /* Many STB engines paint no :focus on links: the .focus class is the highlight. */
  function focus(x) {
    if (!x) { return; }
    if (last) { last.className = last.className.replace(/ ?\bfocus\b/g, ''); }
    x.className += ' focus';
    last = x;
    x.focus();
    group(x).vpLast = x; /* each group remembers its last focused child */
    if (x.id) { W.location.replace('#f=' + x.id); }
  }
  function firstInMain() {
    var all = focusables(), m = null;
    each(all, function (x) { if (!m && group(x).getAttribute('data-group') === 'main') { m = x; } });
    return m || all[0];
  }
  /* Score candidates in direction dir: facing-edge distance + 5 x sideways offset;
     drop those behind the leading edge (30% overlap allowed). */
  function move(cur, dir) {
    var c = cur.getBoundingClientRect(), best = null, bestScore = 0, same = null, sameScore = 0;
    var h = dir === 'l' || dir === 'r';
    each(focusables(), function (x) {
      if (x === cur) { return; }
      var r = x.getBoundingClientRect(), gap, side;
      var slack = 0.3 * (h ? c.right - c.left : c.bottom - c.top);
      gap = dir === 'r' ? r.left - c.right : dir === 'l' ? c.left - r.right : dir === 'd' ? r.top - c.bottom : c.top - r.bottom;
      if (gap < -slack) { return; }
      side = h ? Math.abs((r.top + r.bottom) - (c.top + c.bottom)) / 2 : Math.abs((r.left + r.right) - (c.left + c.right)) / 2;
      var s = Math.max(gap, 0) + 5 * side;
      if (best === null || s < bestScore) { best = x; bestScore = s; }
      if (group(x) === group(cur) && (same === null || s < sameScore)) { same = x; sameScore = s; }
    });
    if (same) { return same; }
    if (best) { var m = group(best).vpLast; if (m && m.offsetWidth > 0) { return m; } }
    return best;
  }
  function bare(u) { return u.split('#')[0]; }
  /* On a page whose 返回 leads to itself (the village home) Back stays. */
  function back() {
    var a = find('rel', 'back'), ref = d.referrer;
    if (a && bare(a.href) === bare(W.location.href)) { return; }
    if (a && !(ref && bare(ref) === bare(a.href))) { go(a); } else { W.history.back(); }
  }
  function num(k) {
    var hit = find('data-num', String(k % 48 % 10));
    if (hit) { focus(hit); go(hit); }
    return !!hit;
  }
  function onKey(e) {
    e = e || W.event;
    var k = e.which || e.keyCode, what = KEYS[k], cur = d.activeElement, t = cur && cur.tagName;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(t);
    if (e.type === 'keypress') { if (handled) { handled = false; return cancel(e); } }
    var done = true;
    if ((k >= 48 && k <= 57) || (k >= 96 && k <= 105)) { done = !typing && num(k); }
    else if (/^[lrud]$/.test(what)) {
      /* Nothing that way: left/up turn to the previous page, right/down to the next. */
      if (!cur || cur === d.body) { focus(firstInMain()); } else { var x = move(cur, what); if (x) { focus(x); } else { go(find('rel', /[lu]/.test(what) ? 'prev' : 'next')); } }
    } else if (what === 'ok') { if (cur && cur.href) { go(cur); } else { done = false; } }
    else if (what === 'back') { if (typing) { done = false; } else { back(); } }
    else if (what === 'prev' || what === 'next') { go(find('rel', what)); }
    else if (what && COLOUR[what] !== undefined) {
      var home = d.body.getAttribute('data-home');
      if (home) { W.location.href = home + COLOUR[what]; } else { done = false; }
    } else { done = false; }
    if (!done) { return true; }
    handled = e.type === 'keydown';
    return cancel(e);
  }
  function cancel(e) {
    if (e.preventDefault) { e.preventDefault(); }
    e.returnValue = false;
    return false;
  }
  function start() {
    if (last) { return; } /* the second of DOMContentLoaded and onload */
    var m = /#f=([\w-]+)/.exec(W.location.hash), x = m && d.getElementById(m[1]);
    focus(x || firstInMain());
  }
  /* Focus as soon as the page is parsed: onload also waits for a <video>,
     which some engines (QtWebKit) never finish loading. */
  if (d.addEventListener) {
    d.addEventListener('keydown', onKey, false);
    d.addEventListener('keypress', onKey, false);
    d.addEventListener('DOMContentLoaded', start, false);
  } else {
    d.onkeydown = onKey;
    d.onkeypress = onKey;
  }
  W.onload = start;
})();
