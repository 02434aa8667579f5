/* The camera form: draw privacy areas on the latest picture with the mouse;
   each drawn box adds a line "left,top,width,height" (percent) to the text
   box, which stays the source of truth. Also asks before a delete. */
(function () {
  var box = document.getElementById('privacy-draw');
  var text = document.getElementById('privacy');
  var forms = document.querySelectorAll('form[data-confirm]');
  for (var i = 0; i < forms.length; i++) {
    forms[i].addEventListener('submit', function (e) {
      if (!window.confirm(this.getAttribute('data-confirm'))) { e.preventDefault(); }
    });
  }
  if (!box || !text || !box.querySelector('img')) { return; }
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
