/* The camera form: shows the stored privacy areas on the latest picture
   (positioned from their data-area, since the back office's CSP allows no
   style attributes), and draws new ones with the mouse: each drawn box adds
   a line "left,top,width,height" (percent) to the text box, which stays
   the source of truth. */
(function () {
  var box = document.getElementById('privacy-draw');
  var text = document.getElementById('privacy');
  if (!box || !text) { return; }
  var stored = box.querySelectorAll('[data-area]');
  for (var i = 0; i < stored.length; i++) {
    var v = stored[i].getAttribute('data-area').split(',');
    stored[i].style.left = v[0] + '%';
    stored[i].style.top = v[1] + '%';
    stored[i].style.width = v[2] + '%';
    stored[i].style.height = v[3] + '%';
  }
  if (!box.querySelector('img')) { return; }
  var start = null, drawn = null;
  function pct(e) {
    var r = box.getBoundingClientRect();
    var x = Math.max(0, Math.min(100, (e.clientX - r.left) / r.width * 100));
    var y = Math.max(0, Math.min(100, (e.clientY - r.top) / r.height * 100));
    return { x: x, y: y };
  }
  box.addEventListener('mousedown', function (e) {
    e.preventDefault();
    start = pct(e);
    drawn = document.createElement('div');
    drawn.className = 'area drawing';
    box.appendChild(drawn);
  });
  box.addEventListener('mousemove', function (e) {
    if (!start) { return; }
    var p = pct(e);
    drawn.style.left = Math.min(start.x, p.x) + '%';
    drawn.style.top = Math.min(start.y, p.y) + '%';
    drawn.style.width = Math.abs(p.x - start.x) + '%';
    drawn.style.height = Math.abs(p.y - start.y) + '%';
  });
  window.addEventListener('mouseup', function (e) {
    if (!start) { return; }
    var p = pct(e);
    var x = Math.floor(Math.min(start.x, p.x)), y = Math.floor(Math.min(start.y, p.y));
    var w = Math.min(100 - x, Math.ceil(Math.abs(p.x - start.x))), h = Math.min(100 - y, Math.ceil(Math.abs(p.y - start.y)));
    start = null;
    if (w < 2 || h < 2) { box.removeChild(drawn); return; }
    drawn.className = 'area';
    text.value = (text.value.replace(/\s+$/, '') + '\n' + [x, y, w, h].join(',')).replace(/^\n/, '');
  });
})();
